import { INestApplication } from '@nestjs/common';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminRequest } from '../../support/admin-api';
import { okta, oktaUser, patchOp, scimTenant, ScimTenant } from '../../support/scim-client';
import { createTestApp } from '../../support/test-app';

describe('admin user views', () => {
  let app: INestApplication;
  let tenant: ScimTenant;
  let other: ScimTenant;
  let inactiveId: string;

  beforeAll(async () => {
    app = await createTestApp();
    tenant = await scimTenant(app, 'views');
    other = await scimTenant(app, 'views-other');
    const scim = okta(app, tenant);
    await scim.post('/Users', oktaUser('alpha@example.com', 'Al', 'Pha')).expect(201);
    inactiveId = (await scim.post('/Users', oktaUser('beta@example.com', 'Be', 'Ta')).expect(201)).body.id as string;
    await scim.patch(`/Users/${inactiveId}`, patchOp({ op: 'replace', value: { active: false } })).expect(200);
  });

  afterAll(async () => {
    await app.close();
  });

  it('lists users newest first, by status and userName prefix, paged', async () => {
    const all = (await adminRequest(app, 'get', '/admin/v1/users', tenant.apiKey).expect(200)).body;
    expect(all.total).toBe(3);
    expect((all.items as { userName: string }[]).map((user) => user.userName)).toEqual([
      'beta@example.com',
      'alpha@example.com',
      expect.stringContaining('admin@'),
    ]);
    const inactive = (await adminRequest(app, 'get', '/admin/v1/users?status=inactive', tenant.apiKey).expect(200)).body;
    expect(inactive).toMatchObject({ total: 1, items: [{ id: inactiveId, active: false }] });
    const prefix = (await adminRequest(app, 'get', '/admin/v1/users?userName=ALP', tenant.apiKey).expect(200)).body;
    expect(prefix).toMatchObject({ total: 1, items: [{ userName: 'alpha@example.com' }] });
    const page = (await adminRequest(app, 'get', '/admin/v1/users?limit=1&offset=1', tenant.apiKey).expect(200)).body;
    expect(page).toMatchObject({ total: 3, limit: 1, offset: 1, items: [{ userName: 'alpha@example.com' }] });
    expect((await adminRequest(app, 'get', '/admin/v1/users?status=gone', tenant.apiKey).expect(400)).body.error).toBe('bad_request');
    expect((await adminRequest(app, 'get', '/admin/v1/users?userName=%25', tenant.apiKey).expect(200)).body.total).toBe(0);
  });

  it('shows a user with the latest purge of their history', async () => {
    const user = (await adminRequest(app, 'get', `/admin/v1/users/${inactiveId}`, tenant.apiKey).expect(200)).body;
    expect(user).toMatchObject({
      id: inactiveId,
      userName: 'beta@example.com',
      active: false,
      givenName: null,
      latestPurge: { userId: inactiveId, userName: 'beta@example.com' },
    });
    expect(['pending', 'running', 'completed']).toContain(user.latestPurge.state);
    const active = (await adminRequest(app, 'get', `/admin/v1/users/${tenant.adminId}`, tenant.apiKey).expect(200)).body;
    expect(active.latestPurge).toBeNull();
  });

  it("answers 404 for unknown users and other organizations' users", async () => {
    await adminRequest(app, 'get', '/admin/v1/users/unknown', tenant.apiKey).expect(404);
    await adminRequest(app, 'get', `/admin/v1/users/${other.adminId}`, tenant.apiKey).expect(404);
    expect((await adminRequest(app, 'get', '/admin/v1/users', other.apiKey).expect(200)).body.total).toBe(1);
  });
});
