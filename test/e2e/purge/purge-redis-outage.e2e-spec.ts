import { INestApplication } from '@nestjs/common';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RedisConnection } from '../../../src/redis/redis-connection';
import { PurgeQueryService } from '../../../src/retention/purge-query.service';
import { PurgeQueue } from '../../../src/retention/queue/purge-queue';
import { PurgeReconciler } from '../../../src/retention/runner/purge-reconciler';
import { adminRequest } from '../../support/admin-api';
import { storedKeys } from '../../support/e2e-storage';
import { freePort } from '../../support/processes';
import { seedHistory, waitForPurge } from '../../support/purge-fixtures';
import { DisposableRedis } from '../../support/purge-redis';
import { okta, oktaUser, patchOp, ScimTenant, scimTenant } from '../../support/scim-client';
import { createTestApp } from '../../support/test-app';

describe('a Redis outage at deactivation time', () => {
  let redis: DisposableRedis;
  let app: INestApplication | undefined;
  let tenant: ScimTenant;

  beforeAll(async () => {
    redis = new DisposableRedis(await freePort());
    await redis.start();
    // This file's own Redis (both setups), so the test can take it away.
    process.env.REDIS_URL = redis.url;
    process.env.REDIS_KEY_PREFIX = `outage-${redis.port}`;
    process.env.PURGE_RECONCILE_INTERVAL_MS = '300';
    app = await createTestApp();
    tenant = await scimTenant(app, 'outage');
  });

  afterAll(async () => {
    try {
      await app?.close();
    } finally {
      await redis.stop();
      delete process.env.PURGE_RECONCILE_INTERVAL_MS;
    }
  });

  it('still answers SCIM 200, keeps the purge pending, and runs it once Redis is back', async () => {
    const server = app!;
    expect(server.get(PurgeQueue).constructor.name).toBe('BullmqPurgeQueue');
    const user = (await okta(server, tenant).post('/Users', oktaUser('outage@outage.example.com')).expect(201)).body as { id: string };
    await seedHistory(server, tenant.apiKey, user.id, { files: 5, messages: 5 });
    const userKeys = (): Promise<string[]> => storedKeys(server, tenant.organizationId, user.id);

    await redis.stop();
    expect(await redis.answers()).toBe(false);

    const patched = await okta(server, tenant)
      .patch(`/Users/${user.id}`, patchOp({ op: 'replace', value: { active: false } }))
      .expect(200);
    expect(patched.body.active).toBe(false);
    // The admin API refuses while Redis is down (below): the service's own read stands in for it.
    const [purge] = (await server.get(PurgeQueryService).page(tenant.organizationId, { userId: user.id }, 0, 10)).items;

    // Reconciler passes run meanwhile and cannot dispatch: the purge waits, durable and pending.
    expect(await server.get(PurgeReconciler).reconcile()).toBe(0);
    const waiting = await server.get(PurgeQueryService).get(tenant.organizationId, purge.id);
    expect(waiting).toMatchObject({ state: 'pending', attempts: 0, progress: { done: 0, total: 10 } });
    // Signed admin requests cannot be checked for replay without Redis: refused, not accepted unchecked.
    const admin = await adminRequest(server, 'get', `/admin/v1/purges/${purge.id}`, tenant.apiKey).expect(503);
    expect(admin.headers['retry-after']).toBeDefined();
    expect(await userKeys()).toHaveLength(5);
    const health = await request(server.getHttpServer()).get('/health/ready');
    expect(health.status).toBe(503);

    await redis.start();
    await expect.poll(() => server.get(RedisConnection).client?.status, { timeout: 15_000 }).toBe('ready');
    const completed = await waitForPurge(server, tenant.apiKey, purge.id);
    expect(completed).toMatchObject({ state: 'completed', files: { deleted: 5 }, messages: { deleted: 5 }, attempts: 1 });
    expect(await userKeys()).toEqual([]);
  });
});
