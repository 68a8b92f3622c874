import { INestApplication } from '@nestjs/common';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminRequest, ApiKeyCredentials } from '../../support/admin-api';
import { purgeIdsOfUser } from '../../support/api-reads';
import { getPurge, seedHistory, waitForPurge } from '../../support/purge-fixtures';
import { okta, oktaUser, patchOp, ScimTenant, scimTenant } from '../../support/scim-client';
import { createTestApp } from '../../support/test-app';

type AuditItem = {
  type: string;
  target: { type: string | null; id: string | null };
  detail: string | null;
  actor: { userId: string | null };
};

async function auditEvents(app: INestApplication, credentials: ApiKeyCredentials, type: string): Promise<AuditItem[]> {
  const page = await adminRequest(app, 'get', '/admin/v1/audit-events?limit=200', credentials).expect(200);
  return (page.body.items as AuditItem[]).filter((event) => event.type === type);
}

function putPolicy(app: INestApplication, credentials: ApiKeyCredentials, graceSeconds: number, threshold = 25): request.Test {
  return adminRequest(app, 'put', '/admin/v1/organization/purge-policy', credentials, {
    graceSeconds,
    massDeactivation: { enabled: true, threshold, windowSeconds: 3600 },
  });
}

describe('legal hold', () => {
  let app: INestApplication;

  beforeAll(async () => {
    process.env.PURGE_RECONCILE_INTERVAL_MS = '200';
    app = await createTestApp();
  });

  afterAll(async () => {
    await app.close();
    delete process.env.PURGE_RECONCILE_INTERVAL_MS;
  });

  async function activeUser(tenant: ScimTenant, email: string): Promise<string> {
    const user = (await okta(app, tenant).post('/Users', oktaUser(email)).expect(201)).body as { id: string };
    await seedHistory(app, tenant.apiKey, user.id, { files: 1, messages: 1 }, email);
    return user.id;
  }

  async function setActive(tenant: ScimTenant, userId: string, active: boolean): Promise<void> {
    await okta(app, tenant)
      .patch(`/Users/${userId}`, patchOp({ op: 'replace', value: { active } }))
      .expect(200);
  }

  async function latestPurgeId(tenant: ScimTenant, userId: string): Promise<string> {
    const [id] = await purgeIdsOfUser(app, tenant.apiKey, userId);
    return id;
  }

  it('a held user is deactivated but not purged until the hold is lifted; placing and lifting are audited', async () => {
    const tenant = await scimTenant(app, 'hold');
    const neighbour = await scimTenant(app, 'hold-neighbour');
    const userId = await activeUser(tenant, 'held@hold.example.com');

    // Only the organization's own users; a reason is required.
    await adminRequest(app, 'put', `/admin/v1/users/${userId}/legal-hold`, neighbour.apiKey, { reason: 'x' }).expect(404);
    await adminRequest(app, 'put', '/admin/v1/users/00000000-0000-4000-8000-000000000000/legal-hold', tenant.apiKey, {
      reason: 'x',
    }).expect(404);
    for (const body of [{}, { reason: '' }, { reason: 42 }, { reason: 'x'.repeat(501) }]) {
      const refused = await adminRequest(app, 'put', `/admin/v1/users/${userId}/legal-hold`, tenant.apiKey, body).expect(400);
      expect(String(refused.body.message)).toContain('reason');
    }
    expect((await adminRequest(app, 'get', `/admin/v1/users/${userId}/legal-hold`, tenant.apiKey).expect(200)).body.hold).toBeNull();

    const placed = await adminRequest(app, 'put', `/admin/v1/users/${userId}/legal-hold`, tenant.apiKey, {
      reason: 'Matter 2026-014',
    }).expect(200);
    expect(placed.body).toMatchObject({ userId, hold: { reason: 'Matter 2026-014', placedBy: tenant.adminId }, latestPurge: null });
    expect(await auditEvents(app, tenant.apiKey, 'legal_hold.placed')).toEqual([
      expect.objectContaining({ actor: expect.objectContaining({ userId: tenant.adminId }), target: { type: 'user', id: userId } }),
    ]);

    await setActive(tenant, userId, false);
    const purgeId = await latestPurgeId(tenant, userId);
    expect(await getPurge(app, tenant.apiKey, purgeId)).toMatchObject({
      state: 'held',
      holdReason: 'legal_hold',
      dataKeys: { destroyedAt: null },
    });
    await adminRequest(app, 'get', `/admin/v1/users/${userId}/messages`, tenant.apiKey).expect(200);
    // Not released by an administrator's release, one or all.
    const refused = await adminRequest(app, 'post', `/admin/v1/purges/${purgeId}/release`, tenant.apiKey).expect(409);
    expect(refused.body.message).toContain('legal hold');
    expect(
      (await adminRequest(app, 'post', '/admin/v1/purges/release', tenant.apiKey, { reason: 'mass_deactivation' }).expect(200)).body
        .released,
    ).toBe(0);
    expect((await getPurge(app, tenant.apiKey, purgeId)).state).toBe('held');
    // The metric counts it under its reason.
    expect((await request(app.getHttpServer()).get('/metrics').expect(200)).text).toMatch(/scim_purges_held\{reason="legal_hold"\} [1-9]/);

    const lifted = await adminRequest(app, 'delete', `/admin/v1/users/${userId}/legal-hold`, tenant.apiKey).expect(200);
    expect(lifted.body.hold).toBeNull();
    const done = await waitForPurge(app, tenant.apiKey, purgeId);
    expect(done).toMatchObject({ holdReason: 'legal_hold', released: { by: tenant.adminId } });
    expect(done.receipt).toMatchObject({ filesDeleted: 1, messagesDeleted: 1 });
    await adminRequest(app, 'get', `/admin/v1/users/${userId}/messages`, tenant.apiKey).expect(410);
    expect(await auditEvents(app, tenant.apiKey, 'legal_hold.lifted')).toEqual([
      expect.objectContaining({ target: { type: 'user', id: userId }, detail: `released:${purgeId}` }),
    ]);
    await adminRequest(app, 'delete', `/admin/v1/users/${userId}/legal-hold`, tenant.apiKey).expect(404);
  });

  it('takes precedence over the breaker and the grace period; lifting it leaves the grace period to run', async () => {
    const tenant = await scimTenant(app, 'hold-precedence');
    await putPolicy(app, tenant.apiKey, 0, 1).expect(200);
    await setActive(tenant, await activeUser(tenant, 'first@precedence.example.com'), false);

    const massHeld = await activeUser(tenant, 'mass@precedence.example.com');
    await setActive(tenant, massHeld, false);
    const massPurgeId = await latestPurgeId(tenant, massHeld);
    expect((await getPurge(app, tenant.apiKey, massPurgeId)).holdReason).toBe('mass_deactivation');
    await adminRequest(app, 'put', `/admin/v1/users/${massHeld}/legal-hold`, tenant.apiKey, { reason: 'Matter A' }).expect(200);
    expect(await getPurge(app, tenant.apiKey, massPurgeId)).toMatchObject({ state: 'held', holdReason: 'legal_hold' });
    expect(
      (await adminRequest(app, 'post', '/admin/v1/purges/release', tenant.apiKey, { reason: 'mass_deactivation' }).expect(200)).body
        .released,
    ).toBe(0);

    // A scheduled purge is held too; once the hold is lifted it waits out the rest of its grace period.
    await putPolicy(app, tenant.apiKey, 3600, 1000).expect(200);
    const scheduled = await activeUser(tenant, 'scheduled@precedence.example.com');
    await setActive(tenant, scheduled, false);
    const scheduledPurgeId = await latestPurgeId(tenant, scheduled);
    const before = await getPurge(app, tenant.apiKey, scheduledPurgeId);
    expect(before).toMatchObject({ state: 'scheduled', holdReason: null });
    await adminRequest(app, 'put', `/admin/v1/users/${scheduled}/legal-hold`, tenant.apiKey, { reason: 'Matter B' }).expect(200);
    expect(await getPurge(app, tenant.apiKey, scheduledPurgeId)).toMatchObject({ state: 'held', holdReason: 'legal_hold', runAfter: null });
    await adminRequest(app, 'delete', `/admin/v1/users/${scheduled}/legal-hold`, tenant.apiKey).expect(200);
    expect(await getPurge(app, tenant.apiKey, scheduledPurgeId)).toMatchObject({ state: 'scheduled', runAfter: before.runAfter });
    await adminRequest(app, 'get', `/admin/v1/users/${scheduled}/files`, tenant.apiKey).expect(200);
  });

  it('answers 409 and writes nothing when a purge already destroyed the keys', async () => {
    const tenant = await scimTenant(app, 'hold-late');
    const userId = await activeUser(tenant, 'late@hold.example.com');
    await setActive(tenant, userId, false);
    const purgeId = await latestPurgeId(tenant, userId);
    await waitForPurge(app, tenant.apiKey, purgeId);
    const refused = await adminRequest(app, 'put', `/admin/v1/users/${userId}/legal-hold`, tenant.apiKey, { reason: 'Too late' }).expect(
      409,
    );
    expect(refused.body).toMatchObject({ error: 'legal_hold_too_late', message: expect.stringContaining(purgeId) });
    expect((await adminRequest(app, 'get', `/admin/v1/users/${userId}/legal-hold`, tenant.apiKey).expect(200)).body.hold).toBeNull();
    expect(await auditEvents(app, tenant.apiKey, 'legal_hold.placed')).toEqual([]);

    // Reactivated, the user's new content can be held again.
    await setActive(tenant, userId, true);
    await adminRequest(app, 'put', `/admin/v1/users/${userId}/legal-hold`, tenant.apiKey, { reason: 'New matter' }).expect(200);
  });
});
