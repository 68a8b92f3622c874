import { randomUUID } from 'node:crypto';
import { INestApplication } from '@nestjs/common';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiKeysService } from '../../../src/api-keys/api-keys.service';
import { RevokeKeysOfNonAdministrators1764324410000 } from '../../../src/database/migrations/1764324410000-revoke-keys-of-non-administrators';
import { ScimCredentialCache } from '../../../src/scim-credentials/scim-credential-cache';
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
import { rememberSecret } from '../../support/secret-ledger';
import { createTestApp } from '../../support/test-app';

type ListedKey = { id: string; revokedAt: string | null; scimCredentialActive: boolean };
type AuditItem = {
  type: string;
  target: { type: string; id: string };
  detail: string | null;
  actor: { userId: string | null; apiKeyId: string | null };
};

/** Keys and SCIM credentials act only while their owner is an active administrator. */
describe("API keys and SCIM credentials follow their owner's administrator role", () => {
  let app: INestApplication;
  let org: BootstrappedOrganization;

  beforeAll(async () => {
    process.env.AUTH_FAILURES_PER_ADDRESS = '100000';
    process.env.AUTH_FAILURES_PER_USERNAME = '100000';
    app = await createTestApp();
    org = await bootstrapOrganization(app, 'roles');
    rememberSecret(org.apiKey.secret);
  });

  afterAll(async () => {
    await app.close();
  });

  /** A second administrator with an API key of their own and that key's SCIM credential. */
  async function deputyWithKeys(): Promise<{ deputy: User; key: ApiKeyCredentials; credentials: ScimCredentials }> {
    const userName = `deputy-${randomUUID().slice(0, 8)}@roles.example.com`;
    const deputy = await writeDirectly(app, (dataSource) =>
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
        role: 'user',
      }),
    );
    await adminRequest(app, 'post', `/admin/v1/users/${deputy.id}/admin`, org.apiKey).expect(201);
    const issued = await app
      .get(ApiKeysService)
      .create({ organizationId: org.organizationId, userId: deputy.id, apiKeyId: null }, 'deputy', {
        sourceAddress: 'test',
        requestId: null,
      });
    rememberSecret(issued.secret);
    const key = { key: issued.apiKey.key, secret: issued.secret, id: issued.apiKey.id };
    const credentials = await issueScimCredentials(app, key);
    rememberSecret(credentials.password);
    return { deputy, key, credentials };
  }

  async function listedKey(id: string): Promise<ListedKey | undefined> {
    const { items } = (await adminRequest(app, 'get', '/admin/v1/api-keys', org.apiKey).expect(200)).body as { items: ListedKey[] };
    return items.find((item) => item.id === id);
  }

  it("demotion revokes the demoted administrator's keys and SCIM credentials at once, audited and shown in the key list", async () => {
    const { deputy, key, credentials } = await deputyWithKeys();
    // Used first, so a credential cache (with Redis) holds it when the role goes.
    await scimGet(app, '/scim/v2/Users', credentials).expect(200);
    await adminRequest(app, 'get', '/admin/v1/organization', key).expect(200);
    expect(await listedKey(key.id)).toMatchObject({ revokedAt: null, scimCredentialActive: true });

    const demoted = await adminRequest(app, 'delete', `/admin/v1/users/${deputy.id}/admin`, org.apiKey).expect(200);
    expect(demoted.body.role).toBe('user');

    await scimGet(app, '/scim/v2/Users', credentials).expect(401);
    const admin = await adminRequest(app, 'get', '/admin/v1/organization', key).expect(401);
    expect(admin.body.error).toBe('unauthorized');
    expect(await listedKey(key.id)).toMatchObject({ revokedAt: expect.any(String), scimCredentialActive: false });

    const { items } = (await adminRequest(app, 'get', '/admin/v1/audit-events?limit=20', org.apiKey).expect(200)).body as {
      items: AuditItem[];
    };
    const revoked = items.find((event) => event.type === 'api_key.revoked' && event.target.id === key.id);
    expect(revoked).toMatchObject({
      target: { type: 'api_key', id: key.id },
      detail: 'owner_demoted',
      actor: { userId: org.adminId, apiKeyId: org.apiKey.id },
    });
    const roleChange = items.find((event) => event.type === 'admin.revoked' && event.target.id === deputy.id);
    expect(roleChange).toBeDefined();
    // The role change and the revocation it caused are one recorded change, newest first.
    expect(items.indexOf(revoked!)).toBeLessThan(items.indexOf(roleChange!));
  });

  it('re-granting the role does not revive the old keys; a new key works', async () => {
    const { deputy, key, credentials } = await deputyWithKeys();
    await adminRequest(app, 'delete', `/admin/v1/users/${deputy.id}/admin`, org.apiKey).expect(200);
    await adminRequest(app, 'post', `/admin/v1/users/${deputy.id}/admin`, org.apiKey).expect(201);

    await scimGet(app, '/scim/v2/Users', credentials).expect(401);
    await adminRequest(app, 'get', '/admin/v1/organization', key).expect(401);
    expect(await listedKey(key.id)).toMatchObject({ revokedAt: expect.any(String), scimCredentialActive: false });
    await adminRequest(app, 'post', `/admin/v1/api-keys/${key.id}/scim-credentials`, org.apiKey).expect(409);

    const fresh = await app
      .get(ApiKeysService)
      .create({ organizationId: org.organizationId, userId: deputy.id, apiKeyId: null }, 'after re-grant', {
        sourceAddress: 'test',
        requestId: null,
      });
    rememberSecret(fresh.secret);
    await adminRequest(app, 'get', '/admin/v1/organization', { key: fresh.apiKey.key, secret: fresh.secret, id: fresh.apiKey.id }).expect(
      200,
    );
  });

  it("checks the owner's role, status and visibility when verifying, on both paths (defence in depth)", async () => {
    for (const change of [{ role: 'user' as const }, { active: false }, { deletedAt: new Date() }]) {
      const { deputy, key, credentials } = await deputyWithKeys();
      // Changed behind the service's back: no revocation, nothing cached (neither was used yet).
      await writeDirectly(app, (dataSource) => dataSource.getRepository(User).update({ id: deputy.id }, change));
      await scimGet(app, '/scim/v2/Users', credentials).expect(401);
      const refused = await adminRequest(app, 'get', '/admin/v1/organization', key).expect(401);
      expect(refused.body.error, JSON.stringify(change)).toBe('unauthorized');
    }
  });

  it('revokes, on upgrade, the keys that owners demoted before this rule still hold, each audited', async () => {
    const { deputy, key, credentials } = await deputyWithKeys();
    // The state a demotion left before demotion revoked keys: a user, with an unrevoked key.
    await writeDirectly(app, (dataSource) => dataSource.getRepository(User).update({ id: deputy.id }, { role: 'user' }));
    expect(await listedKey(key.id)).toMatchObject({ revokedAt: null, scimCredentialActive: true });

    await writeDirectly(app, async (dataSource) => {
      const runner = dataSource.createQueryRunner();
      try {
        await runner.startTransaction();
        await new RevokeKeysOfNonAdministrators1764324410000().up(runner);
        await runner.commitTransaction();
      } finally {
        await runner.release();
      }
    });
    await app.get(ScimCredentialCache).invalidate();

    const listed = await listedKey(key.id);
    expect(listed).toMatchObject({ revokedAt: expect.any(String), scimCredentialActive: false });
    expect(Math.abs(Date.parse(listed!.revokedAt!) - Date.now())).toBeLessThan(60_000);
    await scimGet(app, '/scim/v2/Users', credentials).expect(401);
    await adminRequest(app, 'post', `/admin/v1/users/${deputy.id}/admin`, org.apiKey).expect(201);
    await adminRequest(app, 'get', '/admin/v1/organization', key).expect(401);
    const { items } = (await adminRequest(app, 'get', '/admin/v1/audit-events?limit=50', org.apiKey).expect(200)).body as {
      items: AuditItem[];
    };
    expect(items.filter((event) => event.type === 'api_key.revoked' && event.target.id === key.id)).toEqual([
      expect.objectContaining({ detail: 'owner_not_admin', target: { type: 'api_key', id: key.id } }),
    ]);
    // An active administrator's key is untouched.
    await adminRequest(app, 'get', '/admin/v1/organization', org.apiKey).expect(200);
  });

  it('revokes the keys of a deactivated owner with an audit entry per key', async () => {
    const { deputy, key } = await deputyWithKeys();
    const scim = await deputyWithKeys();
    await request(app.getHttpServer())
      .patch(`/scim/v2/Users/${deputy.id}`)
      .auth(scim.credentials.username, scim.credentials.password)
      .set('Content-Type', 'application/scim+json')
      .send({ schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'], Operations: [{ op: 'replace', value: { active: false } }] })
      .expect(200);
    await adminRequest(app, 'get', '/admin/v1/organization', key).expect(401);
    const { items } = (await adminRequest(app, 'get', '/admin/v1/audit-events?limit=20', org.apiKey).expect(200)).body as {
      items: AuditItem[];
    };
    expect(items.find((event) => event.type === 'api_key.revoked' && event.target.id === key.id)).toMatchObject({
      detail: 'owner_deactivated',
    });
  });
});
