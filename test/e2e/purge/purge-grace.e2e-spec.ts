import { INestApplication } from '@nestjs/common';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminRequest } from '../../support/admin-api';
import { purgeIdsOfUser } from '../../support/api-reads';
import { getPurge, PurgeView, seedHistory, waitForPurge } from '../../support/purge-fixtures';
import { okta, oktaUser, patchOp, ScimTenant, scimTenant } from '../../support/scim-client';
import { createTestAppWithRole } from '../../support/test-app';

const GRACE_SECONDS = 2;

describe('grace period', () => {
  let app: INestApplication | undefined;
  let tenant: ScimTenant;

  beforeAll(async () => {
    process.env.PURGE_RECONCILE_INTERVAL_MS = '200';
    app = await createTestAppWithRole('all');
    tenant = await scimTenant(app, 'grace');
    await adminRequest(app, 'put', '/admin/v1/organization/purge-policy', tenant.apiKey, {
      graceSeconds: GRACE_SECONDS,
      massDeactivation: { enabled: true, threshold: 25, windowSeconds: 600 },
    }).expect(200);
  });

  afterAll(async () => {
    await app?.close();
    delete process.env.PURGE_RECONCILE_INTERVAL_MS;
  });

  async function deactivatedWithHistory(api: INestApplication, email: string): Promise<{ userId: string; purge: PurgeView }> {
    const user = (await okta(api, tenant).post('/Users', oktaUser(email)).expect(201)).body as { id: string };
    await seedHistory(api, tenant.apiKey, user.id, { files: 1, messages: 1 }, email);
    await okta(api, tenant)
      .patch(`/Users/${user.id}`, patchOp({ op: 'replace', value: { active: false } }))
      .expect(200);
    const [purgeId] = await purgeIdsOfUser(api, tenant.apiKey, user.id);
    return { userId: user.id, purge: await getPurge(api, tenant.apiKey, purgeId) };
  }

  it('a scheduled purge keeps the content until runAfter, then runs and destroys the key first', async () => {
    const { userId, purge } = await deactivatedWithHistory(app!, 'later@grace.example.com');
    expect(purge).toMatchObject({ state: 'scheduled', holdReason: null, dataKeys: { destroyedAt: null } });
    expect(new Date(purge.runAfter!).getTime() - new Date(purge.requestedAt).getTime()).toBe(GRACE_SECONDS * 1000);
    if ((await getPurge(app!, tenant.apiKey, purge.id)).state === 'scheduled') {
      await adminRequest(app!, 'get', `/admin/v1/users/${userId}/messages`, tenant.apiKey).expect(200);
    }
    const done = await waitForPurge(app!, tenant.apiKey, purge.id);
    expect(new Date(done.startedAt!).getTime()).toBeGreaterThanOrEqual(new Date(purge.runAfter!).getTime());
    expect(done.receipt).toMatchObject({ filesDeleted: 1, messagesDeleted: 1 });
    expect(done.receipt?.dataKeysDestroyed).toHaveLength(1);
    await adminRequest(app!, 'get', `/admin/v1/users/${userId}/messages`, tenant.apiKey).expect(410);
  });

  it('is cancelled by a reactivation within the grace period: content and key kept', async () => {
    await adminRequest(app!, 'put', '/admin/v1/organization/purge-policy', tenant.apiKey, {
      graceSeconds: 3600,
      massDeactivation: { enabled: true, threshold: 25, windowSeconds: 600 },
    }).expect(200);
    const { userId, purge } = await deactivatedWithHistory(app!, 'returns@grace.example.com');
    expect(purge.state).toBe('scheduled');
    await okta(app!, tenant)
      .patch(`/Users/${userId}`, patchOp({ op: 'replace', value: { active: true } }))
      .expect(200);
    expect(await getPurge(app!, tenant.apiKey, purge.id)).toMatchObject({
      state: 'cancelled',
      cancellation: { reason: 'user_reactivated' },
      dataKeys: { destroyed: [], pending: [] },
    });
    const messages = await adminRequest(app!, 'get', `/admin/v1/users/${userId}/messages`, tenant.apiKey).expect(200);
    expect(messages.body.items).toHaveLength(1);
    expect((await adminRequest(app!, 'get', `/admin/v1/users/${userId}/files`, tenant.apiKey).expect(200)).body.items).toHaveLength(1);
    await adminRequest(app!, 'put', '/admin/v1/organization/purge-policy', tenant.apiKey, {
      graceSeconds: GRACE_SECONDS,
      massDeactivation: { enabled: true, threshold: 25, windowSeconds: 600 },
    }).expect(200);
  });

  it('survives a restart: recorded by an API process, run by a worker started after runAfter', async () => {
    await app!.close();
    app = undefined;
    const api = await createTestAppWithRole('api');
    let scheduled: { userId: string; purge: PurgeView };
    try {
      scheduled = await deactivatedWithHistory(api, 'restart@grace.example.com');
      expect(scheduled.purge.state).toBe('scheduled');
    } finally {
      await api.close();
    }
    // Nothing runs purges now; the worker comes up once the grace period is over.
    const wait = new Date(scheduled.purge.runAfter!).getTime() - Date.now();
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, wait) + 100));
    app = await createTestAppWithRole('worker');
    const done = await waitForPurge(app, tenant.apiKey, scheduled.purge.id);
    expect(done.receipt).toMatchObject({ filesDeleted: 1, messagesDeleted: 1 });
  });
});
