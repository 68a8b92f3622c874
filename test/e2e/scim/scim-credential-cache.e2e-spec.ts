import { randomUUID } from 'node:crypto';
import { INestApplication } from '@nestjs/common';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiKeysRepository } from '../../../src/api-keys/api-keys.repository';
import { ApiKeysService } from '../../../src/api-keys/api-keys.service';
import { RedisConnection } from '../../../src/redis/redis-connection';
import { ScimCredentialCache } from '../../../src/scim-credentials/scim-credential-cache';
import { ScimCredentialsService } from '../../../src/scim-credentials/scim-credentials.service';
import { normalizeUserName } from '../../../src/users/caseless-text';
import { User } from '../../../src/users/user.entity';
import {
  adminRequest,
  ApiKeyCredentials,
  bootstrapOrganization,
  BootstrappedOrganization,
  issueScimCredentials,
  ScimCredentials,
  scimGet,
} from '../../support/admin-api';
import { writeDirectly } from '../../support/direct-writes';
import { freePort } from '../../support/processes';
import { DisposableRedis } from '../../support/purge-redis';
import { okta, patchOp, ScimTenant } from '../../support/scim-client';
import { rememberSecret } from '../../support/secret-ledger';
import { createTestApp } from '../../support/test-app';

const CACHE_MS = 60_000;

async function until(condition: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!condition()) {
    if (Date.now() > deadline) {
      throw new Error(`timed out waiting until ${what}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/**
 * Two service processes (two apps on one database and one Redis, as behind a load balancer) with
 * the SCIM credential cache on: a revocation through one is refused by the other on the next
 * request, whatever the other had cached. SCIM requests go to B, the process whose cache is under
 * test; A is the one that revokes (and publishes).
 */
describe('SCIM credential cache across processes', () => {
  let redis: DisposableRedis;
  let a: INestApplication;
  let b: INestApplication;
  let org: BootstrappedOrganization;

  const cacheOf = (app: INestApplication): ScimCredentialCache => app.get(ScimCredentialCache);

  async function newKeyWithCredentials(): Promise<{ key: ApiKeyCredentials; credentials: ScimCredentials }> {
    const created = (await adminRequest(a, 'post', '/admin/v1/api-keys', org.apiKey, { description: 'okta' }).expect(201)).body as {
      id: string;
      key: string;
      secret: string;
    };
    rememberSecret(created.secret);
    const key = { id: created.id, key: created.key, secret: created.secret };
    const credentials = await issueScimCredentials(a, key);
    rememberSecret(credentials.password);
    return { key, credentials };
  }

  beforeAll(async () => {
    redis = new DisposableRedis(await freePort());
    await redis.start();
    // This file's own Redis (both setups), so the test can take it away.
    process.env.REDIS_URL = redis.url;
    process.env.REDIS_KEY_PREFIX = `credential-cache-${redis.port}`;
    process.env.SCIM_CREDENTIAL_CACHE_MS = String(CACHE_MS);
    a = await createTestApp();
    b = await createTestApp();
    org = await bootstrapOrganization(a, 'cache');
    rememberSecret(org.apiKey.secret);
    await until(() => cacheOf(a).enabled && cacheOf(b).enabled, 'both caches subscribe');
  });

  afterAll(async () => {
    try {
      await a?.close();
      await b?.close();
    } finally {
      await redis.stop();
      delete process.env.SCIM_CREDENTIAL_CACHE_MS;
    }
  });

  it('reuses a looked-up credential: a change made behind its back is seen once a revocation anywhere clears it', async () => {
    const { key, credentials } = await newKeyWithCredentials();
    await scimGet(b, '/scim/v2/Users', credentials).expect(200);
    expect(cacheOf(b).size).toBe(1);
    // Revoked straight in the database, not through the service: nobody is told.
    await b.get(ApiKeysRepository).revoke(key.id, new Date());
    await scimGet(b, '/scim/v2/Users', credentials).expect(200);
    expect((await b.get(ScimCredentialsService).findByUsername(credentials.username))?.revoked).toBe(false);
    await cacheOf(a).invalidate();
    await until(() => cacheOf(b).size === 0, 'the other process hears of it');
    await scimGet(b, '/scim/v2/Users', credentials).expect(401);
  });

  it('refuses a key revoked through the other process on the very next request', async () => {
    const { key, credentials } = await newKeyWithCredentials();
    await scimGet(b, '/scim/v2/Users', credentials).expect(200);
    await adminRequest(a, 'delete', `/admin/v1/api-keys/${key.id}`, org.apiKey).expect(200);
    await scimGet(b, '/scim/v2/Users', credentials).expect(401);
  });

  it('refuses a revoked or replaced SCIM credential at once in the other process', async () => {
    const { key, credentials } = await newKeyWithCredentials();
    await scimGet(b, '/scim/v2/Users', credentials).expect(200);
    const replaced = await issueScimCredentials(a, key);
    rememberSecret(replaced.password);
    await scimGet(b, '/scim/v2/Users', credentials).expect(401);
    await scimGet(b, '/scim/v2/Users', replaced).expect(200);
    await adminRequest(a, 'delete', `/admin/v1/api-keys/${key.id}/scim-credentials`, org.apiKey).expect(204);
    await scimGet(b, '/scim/v2/Users', replaced).expect(401);
  });

  it('caches nothing while Redis is away, so revocations still take effect at once', async () => {
    const { key, credentials } = await newKeyWithCredentials();
    await redis.stop();
    try {
      await until(() => !cacheOf(a).enabled && !cacheOf(b).enabled, 'both caches notice Redis is gone');
      await scimGet(b, '/scim/v2/Users', credentials).expect(200);
      // Signed admin requests cannot be checked for replay without Redis (503): revoke as the API would.
      await a.get(ApiKeysService).revoke({ organizationId: org.organizationId, userId: org.adminId, apiKeyId: org.apiKey.id }, key.id, {
        sourceAddress: null,
        requestId: null,
      });
      await scimGet(b, '/scim/v2/Users', credentials).expect(401);
    } finally {
      await redis.start();
    }
    const ready = (app: INestApplication): boolean => cacheOf(app).enabled && app.get(RedisConnection).client?.status === 'ready';
    await until(() => ready(a) && ready(b), 'both processes are back on Redis');
    const fresh = await newKeyWithCredentials();
    await scimGet(b, '/scim/v2/Users', fresh.credentials).expect(200);
  });

  it('refuses at once in the other process the credential of an administrator demoted through one', async () => {
    const userName = `deputy-${Date.now().toString(36)}@cache.example.com`;
    const deputy = await writeDirectly(a, (dataSource) =>
      dataSource.getRepository(User).save({
        id: randomUUID(),
        organizationId: org.organizationId,
        userName,
        userNameNormalized: normalizeUserName(userName),
        email: userName,
        givenName: 'Dee',
        familyName: 'Puty',
        externalId: null,
        active: true,
        role: 'admin',
      }),
    );
    const issued = await a.get(ApiKeysService).create({ organizationId: org.organizationId, userId: deputy.id, apiKeyId: null }, 'deputy', {
      sourceAddress: 'test',
      requestId: null,
    });
    rememberSecret(issued.secret);
    const credentials = await issueScimCredentials(a, { id: issued.apiKey.id, key: issued.apiKey.key, secret: issued.secret });
    rememberSecret(credentials.password);
    await scimGet(b, '/scim/v2/Users', credentials).expect(200);
    expect(cacheOf(b).size).toBeGreaterThan(0);
    await adminRequest(a, 'delete', `/admin/v1/users/${deputy.id}/admin`, org.apiKey).expect(200);
    await scimGet(b, '/scim/v2/Users', credentials).expect(401);
  });

  it('refuses every credential of a key owner deactivated through the other process', async () => {
    const { credentials } = await newKeyWithCredentials();
    const tenant: ScimTenant = {
      ...org,
      credentials,
      authorization: `Basic ${Buffer.from(`${credentials.username}:${credentials.password}`).toString('base64')}`,
    };
    await scimGet(b, '/scim/v2/Users', credentials).expect(200);
    // The keys' owner is the organization's administrator; deactivating them revokes their keys.
    await okta(a, tenant)
      .patch(`/Users/${org.adminId}`, patchOp({ op: 'replace', value: { active: false } }))
      .expect(200);
    await scimGet(b, '/scim/v2/Users', credentials).expect(401);
  });
});
