import { INestApplication } from '@nestjs/common';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { Database } from '../../../src/database/database';
import { PurgeScheduler } from '../../../src/retention/purge-scheduler';
import { adminRequest } from '../../support/admin-api';
import { createUser, deactivateDirectly, seedHistory, waitForPurge } from '../../support/purge-fixtures';
import { ScimTenant, scimTenant } from '../../support/scim-client';
import { createTestApp } from '../../support/test-app';

/** The value of one sample line of the Prometheus text format, e.g. `scim_purges{state="completed"} 3`. */
function sample(metrics: string, series: string): number | undefined {
  const line = metrics.split('\n').find((candidate) => candidate.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

describe('admin visibility of purges, and queue metrics', () => {
  let app: INestApplication;
  let tenant: ScimTenant;
  const purgeIds: string[] = [];

  beforeAll(async () => {
    app = await createTestApp();
    tenant = await scimTenant(app, 'visibility');
    // Three purges of three users, oldest first; the users domain's deactivation path without SCIM.
    for (const name of ['first', 'second', 'third']) {
      const user = await createUser(app, tenant.organizationId, `${name}@visibility.example.com`);
      await seedHistory(app, tenant.apiKey, user.id, { files: 2, messages: 1 });
      const purgeId = await deactivateDirectly(app, user);
      await waitForPurge(app, tenant.apiKey, purgeId);
      purgeIds.push(purgeId);
    }
  });

  afterAll(async () => {
    await app.close();
  });

  it('pages through purges newest first and filters by state and user', async () => {
    const page = await adminRequest(app, 'get', '/admin/v1/purges?limit=2', tenant.apiKey).expect(200);
    expect(page.body).toMatchObject({ total: 3, limit: 2, offset: 0 });
    expect((page.body.items as { id: string }[]).map((purge) => purge.id)).toEqual([purgeIds[2], purgeIds[1]]);
    const next = await adminRequest(app, 'get', '/admin/v1/purges?limit=2&offset=2', tenant.apiKey).expect(200);
    expect((next.body.items as { id: string }[]).map((purge) => purge.id)).toEqual([purgeIds[0]]);

    const completed = await adminRequest(app, 'get', '/admin/v1/purges?state=completed', tenant.apiKey).expect(200);
    expect(completed.body.total).toBe(3);
    const pending = await adminRequest(app, 'get', '/admin/v1/purges?state=pending', tenant.apiKey).expect(200);
    expect(pending.body).toMatchObject({ items: [], total: 0 });
    const one = await adminRequest(app, 'get', `/admin/v1/purges/${purgeIds[1]}`, tenant.apiKey).expect(200);
    const byUser = await adminRequest(app, 'get', `/admin/v1/purges?userId=${one.body.userId as string}`, tenant.apiKey).expect(200);
    expect(byUser.body.items).toEqual([one.body]);
  });

  it('shows state, progress, counts, bytes, timings, attempts, last error and the receipt', async () => {
    const response = await adminRequest(app, 'get', `/admin/v1/purges/${purgeIds[0]}`, tenant.apiKey).expect(200);
    expect(response.body).toEqual({
      id: purgeIds[0],
      userId: expect.any(String),
      userName: 'first@visibility.example.com',
      state: 'completed',
      progress: { done: 3, total: 3 },
      files: { total: 2, deleted: 2 },
      messages: { total: 1, deleted: 1 },
      bytesDeleted: expect.any(Number),
      attempts: 1,
      lastError: null,
      requestedAt: expect.any(String),
      startedAt: expect.any(String),
      completedAt: expect.any(String),
      nextAttemptAt: null,
      mergedInto: null,
      mergedPurges: [],
      // The history seeded through the API is sealed under the user's one data key, destroyed by the deactivation.
      dataKeys: {
        destroyedAt: expect.any(String),
        destroyed: [{ id: expect.stringMatching(/^[0-9a-f-]{36}$/), destroyedAt: response.body.dataKeys.destroyedAt }],
        pending: [],
      },
      // Never held, scheduled or cancelled: the default policy lets a lone deactivation's purge run at once.
      holdReason: null,
      runAfter: null,
      released: null,
      cancellation: null,
      receipt: {
        userId: response.body.userId,
        userName: 'first@visibility.example.com',
        requestedAt: response.body.requestedAt,
        startedAt: response.body.startedAt,
        completedAt: response.body.completedAt,
        filesDeleted: 2,
        messagesDeleted: 1,
        bytesDeleted: response.body.bytesDeleted,
        digest: expect.stringMatching(/^[0-9a-f]{64}$/),
        digestMethod: expect.any(String),
        mergedPurges: [],
        dataKeysDestroyedAt: response.body.dataKeys.destroyedAt,
        dataKeysDestroyed: response.body.dataKeys.destroyed,
      },
    });
    expect(response.body.bytesDeleted).toBeGreaterThan(0);
  });

  it('refuses a retry of a purge that has not failed, and invalid list parameters', async () => {
    const conflict = await adminRequest(app, 'post', `/admin/v1/purges/${purgeIds[0]}/retry`, tenant.apiKey).expect(409);
    expect(conflict.body.error).toBe('purge_not_retryable');
    await adminRequest(app, 'get', '/admin/v1/purges?state=exploded', tenant.apiKey).expect(400);
    await adminRequest(app, 'get', '/admin/v1/purges?limit=0', tenant.apiKey).expect(400);
    await adminRequest(app, 'get', `/admin/v1/purges/${purgeIds[0]}/items?limit=500`, tenant.apiKey).expect(400);
  });

  it('serves queue gauges and the purge duration histogram at /metrics, unauthenticated', async () => {
    const response = await request(app.getHttpServer()).get('/metrics').expect(200);
    expect(response.headers['content-type']).toContain('text/plain');
    const metrics = response.text;
    expect(metrics).toContain('# TYPE scim_purges gauge');
    expect(sample(metrics, 'scim_purges{state="completed"}')).toBe(3);
    for (const state of ['pending', 'running', 'failed']) {
      expect(sample(metrics, `scim_purges{state="${state}"}`)).toBe(0);
    }
    expect(metrics).toContain('# TYPE scim_purge_duration_seconds histogram');
    expect(sample(metrics, 'scim_purge_duration_seconds_count')).toBe(3);
    // The registry is the service's one registry: process metrics are there too.
    expect(metrics).toContain('process_cpu_user_seconds_total');
  });

  it('counts a new pending purge in the gauges', async () => {
    const user = await createUser(app, tenant.organizationId, 'fourth@visibility.example.com');
    // Recorded but not dispatched yet (its dispatch after commit held back): exactly what the gauge must show as pending.
    vi.spyOn(app.get(PurgeScheduler), 'dispatch').mockResolvedValueOnce();
    const purgeId = await app.get(Database).transaction(async () => {
      const scheduler = app.get(PurgeScheduler);
      return (await scheduler.record(user, await scheduler.lockForDeactivation(user.organizationId))).purgeId;
    });
    const metrics = (await request(app.getHttpServer()).get('/metrics').expect(200)).text;
    expect(sample(metrics, 'scim_purges{state="pending"}')).toBe(1);
    await app.get(PurgeScheduler).dispatch(purgeId);
    await waitForPurge(app, tenant.apiKey, purgeId);
    const after = (await request(app.getHttpServer()).get('/metrics').expect(200)).text;
    expect(sample(after, 'scim_purges{state="completed"}')).toBe(4);
    expect(sample(after, 'scim_purges{state="pending"}')).toBe(0);
  });
});
