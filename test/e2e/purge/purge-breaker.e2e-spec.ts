import { INestApplication } from '@nestjs/common';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminRequest, ApiKeyCredentials } from '../../support/admin-api';
import { purgeIdsOfUser } from '../../support/api-reads';
import { collectBytes, getPurge, PurgeView, SeededHistory, seedHistory, sha256, waitForPurge } from '../../support/purge-fixtures';
import { okta, oktaUser, patchOp, ScimTenant, scimTenant } from '../../support/scim-client';
import { createTestApp } from '../../support/test-app';

const USERS = 40;
const THRESHOLD = 25;

type AuditItem = { type: string; target: { id: string | null }; detail: string | null; actor: { userId: string | null } };

async function auditEvents(app: INestApplication, credentials: ApiKeyCredentials, type: string): Promise<AuditItem[]> {
  const page = await adminRequest(app, 'get', '/admin/v1/audit-events?limit=200', credentials).expect(200);
  return (page.body.items as AuditItem[]).filter((event) => event.type === type);
}

async function purgesIn(app: INestApplication, credentials: ApiKeyCredentials, state: string): Promise<PurgeView[]> {
  const page = await adminRequest(app, 'get', `/admin/v1/purges?state=${state}&limit=200`, credentials).expect(200);
  return page.body.items as PurgeView[];
}

function putPolicy(app: INestApplication, credentials: ApiKeyCredentials, policy: object): request.Test {
  return adminRequest(app, 'put', '/admin/v1/organization/purge-policy', credentials, policy);
}

/** Reads every message and file of the user back, contents included. */
async function readBack(
  app: INestApplication,
  credentials: ApiKeyCredentials,
  userId: string,
): Promise<{ messages: string[]; files: number }> {
  const messages = await adminRequest(app, 'get', `/admin/v1/users/${userId}/messages`, credentials).expect(200);
  const files = await adminRequest(app, 'get', `/admin/v1/users/${userId}/files`, credentials).expect(200);
  for (const file of files.body.items as { id: number; sizeBytes: number; sha256: string }[]) {
    const content = await adminRequest(app, 'get', `/admin/v1/users/${userId}/files/${file.id}/content`, credentials)
      .buffer(true)
      .parse(collectBytes)
      .expect(200);
    expect(sha256(content.body as Buffer)).toBe(file.sha256);
  }
  return {
    messages: (messages.body.items as { body: string }[]).map((message) => message.body).sort(),
    files: (files.body.items as unknown[]).length,
  };
}

describe('mass-deactivation breaker', () => {
  let app: INestApplication;
  let tenant: ScimTenant;

  beforeAll(async () => {
    process.env.PURGE_RECONCILE_INTERVAL_MS = '200';
    app = await createTestApp();
    tenant = await scimTenant(app, 'breaker');
  });

  afterAll(async () => {
    await app.close();
    delete process.env.PURGE_RECONCILE_INTERVAL_MS;
  });

  it('is described in the OpenAPI document', async () => {
    const document = (await request(app.getHttpServer()).get('/admin/docs-json').expect(200)).body as {
      paths: Record<string, Record<string, unknown>>;
      components: { schemas: Record<string, { required?: string[] }> };
    };
    expect(Object.keys(document.paths['/admin/v1/organization/purge-policy']).sort()).toEqual(['get', 'put']);
    expect(Object.keys(document.paths['/admin/v1/purges/release'])).toEqual(['post']);
    expect(Object.keys(document.paths['/admin/v1/purges/{id}/release'])).toEqual(['post']);
    expect(Object.keys(document.paths['/admin/v1/users/{id}/legal-hold']).sort()).toEqual(['delete', 'get', 'put']);
    expect(document.components.schemas.PurgePolicyDto.required?.sort()).toEqual(['graceSeconds', 'massDeactivation']);
    expect(document.components.schemas.PlaceLegalHoldDto.required).toEqual(['reason']);
  });

  it('has the documented defaults, and refuses any bad policy with 400, writing nothing', async () => {
    const defaults = { graceSeconds: 0, massDeactivation: { enabled: true, threshold: 25, windowSeconds: 600 } };
    expect((await adminRequest(app, 'get', '/admin/v1/organization/purge-policy', tenant.apiKey).expect(200)).body).toEqual(defaults);
    const bad: object[] = [
      {},
      { graceSeconds: -1, massDeactivation: defaults.massDeactivation },
      { graceSeconds: 2_592_001, massDeactivation: defaults.massDeactivation },
      { graceSeconds: '5', massDeactivation: defaults.massDeactivation },
      { graceSeconds: 1.5, massDeactivation: defaults.massDeactivation },
      { graceSeconds: 0 },
      { graceSeconds: 0, massDeactivation: 'on' },
      { graceSeconds: 0, massDeactivation: { enabled: 'yes', threshold: 25, windowSeconds: 600 } },
      { graceSeconds: 0, massDeactivation: { enabled: true, threshold: 0, windowSeconds: 600 } },
      { graceSeconds: 0, massDeactivation: { enabled: true, threshold: 25 } },
      { graceSeconds: 0, massDeactivation: { enabled: true, threshold: 25, windowSeconds: 0 } },
      { graceSeconds: 0, massDeactivation: { enabled: true, threshold: 25, windowSeconds: 86_401 } },
    ];
    for (const body of bad) {
      const response = await putPolicy(app, tenant.apiKey, body).expect(400);
      expect(response.body.statusCode).toBe(400);
      expect(String(response.body.message)).toMatch(/graceSeconds|massDeactivation|enabled|threshold|windowSeconds/);
    }
    expect((await adminRequest(app, 'get', '/admin/v1/organization/purge-policy', tenant.apiKey).expect(200)).body).toEqual(defaults);
    expect(await auditEvents(app, tenant.apiKey, 'purge_policy.updated')).toEqual([]);

    const chosen = { graceSeconds: 0, massDeactivation: { enabled: true, threshold: THRESHOLD, windowSeconds: 900 } };
    expect((await putPolicy(app, tenant.apiKey, chosen).expect(200)).body).toEqual(chosen);
    expect((await adminRequest(app, 'get', '/admin/v1/organization/purge-policy', tenant.apiKey).expect(200)).body).toEqual(chosen);
    const [updated] = await auditEvents(app, tenant.apiKey, 'purge_policy.updated');
    expect(updated).toMatchObject({ actor: { userId: tenant.adminId }, detail: 'grace=0;breaker=25/900s' });
  });

  it(`holds exactly the purges above ${THRESHOLD} of ${USERS} concurrent deactivations; release purges them; a reactivated user keeps everything`, async () => {
    const scim = okta(app, tenant);
    const users: { id: string; history: SeededHistory }[] = [];
    for (let i = 0; i < USERS; i += 1) {
      const user = (await scim.post('/Users', oktaUser(`mass.${i}@breaker.example.com`)).expect(201)).body as { id: string };
      users.push({ id: user.id, history: await seedHistory(app, tenant.apiKey, user.id, { files: 1, messages: 2 }, `mass-${i}`) });
    }

    const statuses = await Promise.all(
      users.map(({ id }) =>
        scim.patch(`/Users/${id}`, patchOp({ op: 'replace', value: { active: false } })).then((response) => response.status),
      ),
    );
    expect(statuses.filter((status) => status !== 200)).toEqual([]);

    const held = await purgesIn(app, tenant.apiKey, 'held');
    expect(held).toHaveLength(USERS - THRESHOLD);
    for (const purge of held) {
      expect(purge).toMatchObject({ holdReason: 'mass_deactivation', dataKeys: { destroyedAt: null, destroyed: [] } });
      expect(purge.dataKeys.pending).toHaveLength(1);
    }
    // The held ones are exactly the last to be requested: the breaker counted each deactivation in order.
    const others = await adminRequest(app, 'get', '/admin/v1/purges?limit=200', tenant.apiKey).expect(200);
    expect(others.body.total).toBe(USERS);
    const byRequest = (others.body.items as PurgeView[]).sort((a, b) => a.requestedAt.localeCompare(b.requestedAt));
    expect(byRequest.slice(THRESHOLD).every((purge) => purge.state === 'held')).toBe(true);
    expect(byRequest.slice(0, THRESHOLD).every((purge) => purge.state !== 'held' && purge.holdReason === null)).toBe(true);

    // Visible: the organization's warning, the metric, the audit trail.
    const organization = await adminRequest(app, 'get', '/admin/v1/organization', tenant.apiKey).expect(200);
    expect(organization.body.warnings).toEqual([
      expect.objectContaining({ code: 'purges_held_mass_deactivation', count: USERS - THRESHOLD }),
    ]);
    const metrics = (await request(app.getHttpServer()).get('/metrics').expect(200)).text;
    expect(metrics).toMatch(new RegExp(`scim_purges_held\\{reason="mass_deactivation"\\} ${USERS - THRESHOLD}\\b`));
    const heldEvents = await auditEvents(app, tenant.apiKey, 'purge.held');
    expect(heldEvents.map((event) => event.target.id).sort()).toEqual(held.map((purge) => purge.id).sort());
    expect(heldEvents[0].detail).toMatch(/^mass_deactivation:\d+\/25\/900s$/);

    // The not-held purges complete; the held ones stay held, their users' content readable.
    for (const purge of byRequest.slice(0, THRESHOLD)) {
      await waitForPurge(app, tenant.apiKey, purge.id);
    }
    const heldUsers = held.map((purge) => users.find((user) => user.id === purge.userId)!);
    for (const purge of held) {
      expect((await getPurge(app, tenant.apiKey, purge.id)).state).toBe('held');
    }

    // A user deactivated by mistake comes back with every file and message.
    const [returning, releasedOne, ...rest] = heldUsers;
    const returningPurge = held.find((purge) => purge.userId === returning.id)!;
    await scim.patch(`/Users/${returning.id}`, patchOp({ op: 'replace', value: { active: true } })).expect(200);
    const cancelled = await getPurge(app, tenant.apiKey, returningPurge.id);
    expect(cancelled).toMatchObject({
      state: 'cancelled',
      cancellation: { reason: 'user_reactivated', detail: expect.stringContaining('nothing was deleted') },
      files: { deleted: 0 },
      messages: { deleted: 0 },
      dataKeys: { destroyed: [], pending: [] },
      receipt: null,
    });
    expect(await readBack(app, tenant.apiKey, returning.id)).toEqual({
      messages: ['body mass-' + String(users.indexOf(returning)) + ' 0', 'body mass-' + String(users.indexOf(returning)) + ' 1'],
      files: 1,
    });
    // A cancelled purge cannot be released.
    const refused = await adminRequest(app, 'post', `/admin/v1/purges/${returningPurge.id}/release`, tenant.apiKey).expect(409);
    expect(refused.body).toMatchObject({ error: 'purge_not_releasable', message: expect.stringContaining('cancelled') });

    // One released on its own, then the rest at once.
    const onePurge = held.find((purge) => purge.userId === releasedOne.id)!;
    const released = await adminRequest(app, 'post', `/admin/v1/purges/${onePurge.id}/release`, tenant.apiKey).expect(200);
    expect(released.body).toMatchObject({ holdReason: 'mass_deactivation', released: { by: tenant.adminId } });
    const completedOne = await waitForPurge(app, tenant.apiKey, onePurge.id);
    expect(completedOne.receipt).toMatchObject({ filesDeleted: 1, messagesDeleted: 2 });
    expect(completedOne.receipt?.dataKeysDestroyed).toHaveLength(1);

    const bulk = await adminRequest(app, 'post', '/admin/v1/purges/release', tenant.apiKey, { reason: 'mass_deactivation' }).expect(200);
    expect(bulk.body).toEqual({ reason: 'mass_deactivation', released: rest.length });
    for (const user of rest) {
      const [purgeId] = await purgeIdsOfUser(app, tenant.apiKey, user.id);
      const done = await waitForPurge(app, tenant.apiKey, purgeId);
      expect(done.receipt).toMatchObject({ filesDeleted: 1, messagesDeleted: 2, bytesDeleted: user.history.bytes });
      await adminRequest(app, 'get', `/admin/v1/users/${user.id}/messages`, tenant.apiKey).expect(410);
    }
    expect(await purgesIn(app, tenant.apiKey, 'held')).toEqual([]);
    expect((await adminRequest(app, 'get', '/admin/v1/organization', tenant.apiKey).expect(200)).body.warnings).toEqual([]);
    expect((await auditEvents(app, tenant.apiKey, 'purge.released')).length).toBe(rest.length + 1);
    // Nothing left to release; a bad reason is refused.
    expect(
      (await adminRequest(app, 'post', '/admin/v1/purges/release', tenant.apiKey, { reason: 'mass_deactivation' }).expect(200)).body
        .released,
    ).toBe(0);
    await adminRequest(app, 'post', '/admin/v1/purges/release', tenant.apiKey, { reason: 'legal_hold' }).expect(400);
    await adminRequest(app, 'post', '/admin/v1/purges/release', tenant.apiKey, {}).expect(400);
    // Still readable after all that.
    expect((await readBack(app, tenant.apiKey, returning.id)).files).toBe(1);
  });

  it('a purge held, cancelled by reactivation, then held again destroys every key and item of the user when released', async () => {
    const other = await scimTenant(app, 'breaker-rehold');
    const scim = okta(app, other);
    await putPolicy(app, other.apiKey, { graceSeconds: 0, massDeactivation: { enabled: true, threshold: 1, windowSeconds: 3600 } }).expect(
      200,
    );
    const first = (await scim.post('/Users', oktaUser('first@rehold.example.com')).expect(201)).body as { id: string };
    await scim.patch(`/Users/${first.id}`, patchOp({ op: 'replace', value: { active: false } })).expect(200);

    const user = (await scim.post('/Users', oktaUser('back.and.forth@rehold.example.com')).expect(201)).body as { id: string };
    const before = await seedHistory(app, other.apiKey, user.id, { files: 2, messages: 2 }, 'before');
    await scim.patch(`/Users/${user.id}`, patchOp({ op: 'replace', value: { active: false } })).expect(200);
    const [firstPurgeId] = await purgeIdsOfUser(app, other.apiKey, user.id);
    const firstPurge = await getPurge(app, other.apiKey, firstPurgeId);
    expect(firstPurge).toMatchObject({ state: 'held', holdReason: 'mass_deactivation' });
    const firstKeys = firstPurge.dataKeys.pending;
    expect(firstKeys).toHaveLength(1);

    await scim.patch(`/Users/${user.id}`, patchOp({ op: 'replace', value: { active: true } })).expect(200);
    expect((await getPurge(app, other.apiKey, firstPurgeId)).state).toBe('cancelled');
    // Content written after the reactivation is under a new key; the old one was kept.
    const after = await seedHistory(app, other.apiKey, user.id, { files: 1, messages: 1 }, 'after');
    expect((await readBack(app, other.apiKey, user.id)).files).toBe(3);

    await scim.patch(`/Users/${user.id}`, patchOp({ op: 'replace', value: { active: false } })).expect(200);
    const secondPurgeId = (await purgeIdsOfUser(app, other.apiKey, user.id)).find((id) => id !== firstPurgeId)!;
    const second = await getPurge(app, other.apiKey, secondPurgeId);
    expect(second).toMatchObject({ state: 'held', holdReason: 'mass_deactivation' });
    // Both keys: the one the cancelled purge kept, and the one content got since.
    expect(second.dataKeys.pending).toHaveLength(2);
    expect(second.dataKeys.pending).toEqual(expect.arrayContaining(firstKeys));

    await adminRequest(app, 'post', `/admin/v1/purges/${secondPurgeId}/release`, other.apiKey).expect(200);
    const done = await waitForPurge(app, other.apiKey, secondPurgeId);
    expect(done.receipt).toMatchObject({
      filesDeleted: 3,
      messagesDeleted: 3,
      bytesDeleted: before.bytes + after.bytes,
    });
    expect(done.receipt?.dataKeysDestroyed.map((key) => key.id).sort()).toEqual([...second.dataKeys.pending].sort());
    const history = await adminRequest(app, 'get', `/admin/v1/users/${user.id}/history`, other.apiKey).expect(200);
    expect(history.body).toMatchObject({ messages: { count: 0 }, files: { count: 0, bytes: 0 } });
    await adminRequest(app, 'get', `/admin/v1/users/${user.id}/messages`, other.apiKey).expect(410);
  });

  it('counts each organization alone, with deactivations in several organizations at once (no deadlock, no 503)', async () => {
    const tenants: ScimTenant[] = [];
    for (const name of ['multi-a', 'multi-b', 'multi-c', 'multi-d']) {
      tenants.push(await scimTenant(app, name));
    }
    const perTenant = 8;
    const threshold = 5;
    const users: { tenant: ScimTenant; id: string }[] = [];
    for (const each of tenants) {
      await putPolicy(app, each.apiKey, { graceSeconds: 0, massDeactivation: { enabled: true, threshold, windowSeconds: 600 } }).expect(
        200,
      );
      for (let i = 0; i < perTenant; i += 1) {
        const user = (
          await okta(app, each)
            .post('/Users', oktaUser(`u${i}@multi.example.com`))
            .expect(201)
        ).body as { id: string };
        users.push({ tenant: each, id: user.id });
      }
    }
    const statuses = await Promise.all(
      users.map(({ tenant: each, id }) =>
        okta(app, each)
          .patch(`/Users/${id}`, patchOp({ op: 'replace', value: { active: false } }))
          .then((response) => response.status),
      ),
    );
    expect(statuses.filter((status) => status !== 200)).toEqual([]);
    for (const each of tenants) {
      expect(await purgesIn(app, each.apiKey, 'held')).toHaveLength(perTenant - threshold);
    }
  });
});
