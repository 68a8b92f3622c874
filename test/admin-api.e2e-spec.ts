import { INestApplication } from '@nestjs/common';
import request from 'supertest';
import { DataSource } from 'typeorm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiKeysService } from '../src/api-keys/api-keys.service';
import { signRequest } from '../src/auth/request-signature';
import { User } from '../src/users/user.entity';
import {
  adminRequest,
  ApiKeyCredentials,
  bootstrapOrganization,
  BootstrappedOrganization,
  isoNow,
  issueScimCredentials,
  scimGet,
} from './support/admin-api';
import { rememberSecret } from './support/secret-ledger';
import { createTestApp } from './support/test-app';

describe('admin API: keys, SCIM credentials, organization, audit', () => {
  let app: INestApplication;
  let acme: BootstrappedOrganization;
  let other: BootstrappedOrganization;

  beforeAll(async () => {
    // This file makes many deliberate failures; throttling has its own file.
    process.env.AUTH_FAILURES_PER_ADDRESS = '100000';
    process.env.AUTH_FAILURES_PER_USERNAME = '100000';
    app = await createTestApp();
    acme = await bootstrapOrganization(app, 'acme');
    other = await bootstrapOrganization(app, 'other');
    rememberSecret(acme.apiKey.secret, other.apiKey.secret);
  });

  afterAll(async () => {
    await app.close();
  });

  async function createKey(owner: ApiKeyCredentials, description?: string): Promise<ApiKeyCredentials & { body: Record<string, unknown> }> {
    const response = await adminRequest(app, 'post', '/admin/v1/api-keys', owner, description === undefined ? {} : { description }).expect(201);
    rememberSecret(response.body.secret);
    return { key: response.body.key, secret: response.body.secret, id: response.body.id, body: response.body };
  }

  it('walks bootstrap → API key → SCIM credentials → SCIM request', async () => {
    const created = await createKey(acme.apiKey, 'Okta');
    expect(created.body).toEqual({
      id: expect.any(String),
      key: expect.stringMatching(/^ak_[A-Za-z0-9_-]{24}$/),
      secret: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/),
      description: 'Okta',
      createdAt: expect.any(String),
    });

    const credentials = await issueScimCredentials(app, created);
    rememberSecret(credentials.password);
    expect(credentials.username).toMatch(/^scim_[A-Za-z0-9_-]{20}$/);
    expect(credentials.password).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(credentials.scimBaseUrl).toMatch(/\/scim\/v2$/);

    const users = await scimGet(app, '/scim/v2/Users?startIndex=1&count=2', credentials).expect(200);
    expect(users.headers['content-type']).toBe('application/scim+json; charset=utf-8');
    expect(users.body).toMatchObject({ schemas: ['urn:ietf:params:scim:api:messages:2.0:ListResponse'], totalResults: 1, startIndex: 1 });
    expect(users.body.Resources[0]).toMatchObject({ id: acme.adminId, name: { givenName: 'Ada', familyName: 'Admin' }, active: true });
  });

  it('lists keys with owner, usage and credential status, and never a secret or hash', async () => {
    const created = await createKey(acme.apiKey, 'listed');
    const credentials = await issueScimCredentials(app, created);
    rememberSecret(credentials.password);
    await scimGet(app, '/scim/v2/Users', credentials).expect(200);

    const response = await adminRequest(app, 'get', '/admin/v1/api-keys', acme.apiKey).expect(200);
    const listed = (response.body.items as Record<string, unknown>[]).find((item) => item.id === created.id);
    expect(listed).toMatchObject({
      key: created.key,
      description: 'listed',
      owner: { id: acme.adminId, userName: expect.stringContaining('admin@') },
      revokedAt: null,
      scimCredentialActive: true,
    });
    expect(Object.keys(listed!).sort()).toEqual(['createdAt', 'description', 'id', 'key', 'lastUsedAt', 'owner', 'revokedAt', 'scimCredentialActive']);
    expect(response.text).not.toContain(created.secret);
    expect(response.text).not.toContain(credentials.password);
    expect(response.text).not.toMatch(/ciphertext|hash|v1:/i);
    expect((response.body.items as { id: string }[]).some((item) => item.id === other.apiKey.id)).toBe(false);
  });

  it('keeps lastUsedAt fresh for keys and SCIM credentials', async () => {
    const created = await createKey(acme.apiKey, 'usage');
    const before = await adminRequest(app, 'get', '/admin/v1/api-keys', acme.apiKey).expect(200);
    expect((before.body.items as { id: string; lastUsedAt: string | null }[]).find((k) => k.id === created.id)?.lastUsedAt).toBeNull();
    await adminRequest(app, 'get', '/admin/v1/organization', created).expect(200);
    await expect.poll(async () => {
      const after = await adminRequest(app, 'get', '/admin/v1/api-keys', acme.apiKey).expect(200);
      return (after.body.items as { id: string; lastUsedAt: string | null }[]).find((k) => k.id === created.id)?.lastUsedAt;
    }).not.toBeNull();
  });

  it('describes the organization with its SCIM base URL and user counts', async () => {
    const response = await adminRequest(app, 'get', '/admin/v1/organization', acme.apiKey).expect(200);
    expect(response.body).toMatchObject({
      id: acme.organizationId,
      hostname: expect.stringMatching(/^acme-.*\.example\.com$/),
      scimBaseUrl: expect.stringMatching(/^http:\/\/localhost:\d+\/scim\/v2$/),
      users: { total: 1, active: 1, inactive: 0, administrators: 1 },
    });
  });

  it('replaces the SCIM credential on regeneration: the old password stops working', async () => {
    const created = await createKey(acme.apiKey, 'rotate');
    const first = await issueScimCredentials(app, created);
    const second = await issueScimCredentials(app, created);
    rememberSecret(first.password, second.password);
    await scimGet(app, '/scim/v2/Users', first).expect(401);
    await scimGet(app, '/scim/v2/Users', { username: second.username, password: first.password }).expect(401);
    await scimGet(app, '/scim/v2/Users', second).expect(200);
  });

  it('revoking a key kills the key and its SCIM credential at once', async () => {
    const created = await createKey(acme.apiKey, 'to revoke');
    const credentials = await issueScimCredentials(app, created);
    rememberSecret(credentials.password);
    await scimGet(app, '/scim/v2/Users', credentials).expect(200);

    const revoked = await adminRequest(app, 'delete', `/admin/v1/api-keys/${created.id}`, acme.apiKey).expect(200);
    expect(revoked.body).toMatchObject({ id: created.id, revokedAt: expect.any(String), scimCredentialActive: false });

    const scim = await scimGet(app, '/scim/v2/Users', credentials).expect(401);
    expect(scim.body.schemas).toEqual(['urn:ietf:params:scim:api:messages:2.0:Error']);
    const admin = await adminRequest(app, 'get', '/admin/v1/organization', created).expect(401);
    expect(admin.body).toMatchObject({ statusCode: 401, error: 'unauthorized', requestId: expect.any(String) });
    await adminRequest(app, 'post', `/admin/v1/api-keys/${created.id}/scim-credentials`, acme.apiKey).expect(409);
  });

  it('revoking only the SCIM credential keeps the key', async () => {
    const created = await createKey(acme.apiKey, 'credential only');
    const credentials = await issueScimCredentials(app, created);
    rememberSecret(credentials.password);
    await adminRequest(app, 'delete', `/admin/v1/api-keys/${created.id}/scim-credentials`, acme.apiKey).expect(204);
    await scimGet(app, '/scim/v2/Users', credentials).expect(401);
    await adminRequest(app, 'get', '/admin/v1/organization', created).expect(200);
    await adminRequest(app, 'delete', `/admin/v1/api-keys/${created.id}/scim-credentials`, acme.apiKey).expect(404);
  });

  it("answers 404 when one organization's key touches another organization's keys, changing nothing", async () => {
    for (const [method, path] of [
      ['delete', `/admin/v1/api-keys/${other.apiKey.id}`],
      ['post', `/admin/v1/api-keys/${other.apiKey.id}/scim-credentials`],
      ['delete', `/admin/v1/api-keys/${other.apiKey.id}/scim-credentials`],
      ['post', `/admin/v1/users/${other.adminId}/admin`],
      ['delete', `/admin/v1/users/${other.adminId}/admin`],
    ] as const) {
      const response = await adminRequest(app, method, path, acme.apiKey).expect(404);
      expect(response.body.error).toBe('not_found');
    }
    await adminRequest(app, 'get', '/admin/v1/organization', other.apiKey).expect(200);
  });

  it('refuses a bad signature, a signature over another path or body, and a tampered timestamp', async () => {
    await adminRequest(app, 'get', '/admin/v1/api-keys', acme.apiKey, undefined, { signature: 'f'.repeat(64) }).expect(401);
    await adminRequest(app, 'get', '/admin/v1/api-keys', acme.apiKey, undefined, { signature: 'not-hex' }).expect(401);
    await adminRequest(app, 'get', '/admin/v1/api-keys', { ...acme.apiKey, secret: 'wrong-secret' }).expect(401);

    await adminRequest(app, 'get', '/admin/v1/api-keys', acme.apiKey).expect(200);

    const timestamp = isoNow();
    const goodForGet = signRequest(acme.apiKey.secret, acme.apiKey.key, '/admin/v1/api-keys', timestamp, '');
    await request(app.getHttpServer())
      .get('/admin/v1/api-keys?limit=1')
      .set('ss-api-key', acme.apiKey.key)
      .set('ss-request-timestamp', timestamp)
      .set('ss-request-signature', goodForGet)
      .expect(401);
    await request(app.getHttpServer())
      .post('/admin/v1/api-keys')
      .set('ss-api-key', acme.apiKey.key)
      .set('ss-request-timestamp', timestamp)
      .set('ss-request-signature', goodForGet)
      .send({ description: 'smuggled' })
      .expect(401);
  });

  it('refuses timestamps outside ±5 minutes and malformed ones, and missing headers', async () => {
    const early = await adminRequest(app, 'get', '/admin/v1/api-keys', acme.apiKey, undefined, { timestamp: isoNow(-6 * 60_000) }).expect(401);
    expect(early.body.message).toContain('more than 5 minutes');
    await adminRequest(app, 'get', '/admin/v1/api-keys', acme.apiKey, undefined, { timestamp: isoNow(6 * 60_000) }).expect(401);
    await adminRequest(app, 'get', '/admin/v1/api-keys', acme.apiKey, undefined, { timestamp: isoNow(4 * 60_000) }).expect(200);
    const malformed = await adminRequest(app, 'get', '/admin/v1/api-keys', acme.apiKey, undefined, { timestamp: 'yesterday' }).expect(401);
    expect(malformed.body.message).toContain('ISO-8601');
    for (const omit of ['key', 'timestamp', 'signature'] as const) {
      await adminRequest(app, 'get', '/admin/v1/api-keys', acme.apiKey, undefined, { omit: [omit] }).expect(401);
    }
    await adminRequest(app, 'get', '/admin/v1/api-keys', { key: 'ak_unknown', secret: 'x', id: 'x' }).expect(401);
  });

  it('refuses keys whose owner is no longer an administrator (403), and protects the last administrator', async () => {
    const dataSource = app.get(DataSource);
    const org = await bootstrapOrganization(app, 'roles');
    rememberSecret(org.apiKey.secret);
    const deputy = await dataSource.getRepository(User).save({
      id: crypto.randomUUID(),
      organizationId: org.organizationId,
      userName: 'deputy@roles.example.com',
      userNameNormalized: 'deputy@roles.example.com',
      email: 'deputy@roles.example.com',
      givenName: 'Dee',
      familyName: 'Puty',
      externalId: null,
      active: true,
      role: 'user',
    });

    const lastAdmin = await adminRequest(app, 'delete', `/admin/v1/users/${org.adminId}/admin`, org.apiKey).expect(409);
    expect(lastAdmin.body.error).toBe('last_administrator');

    const granted = await adminRequest(app, 'post', `/admin/v1/users/${deputy.id}/admin`, org.apiKey).expect(201);
    expect(granted.body).toMatchObject({ id: deputy.id, role: 'admin' });
    // A key of the deputy's own, as if they had created it while an administrator.
    const deputyKey = await app
      .get(ApiKeysService)
      .create({ organizationId: org.organizationId, userId: deputy.id, apiKeyId: null }, 'deputy', { sourceAddress: 'test', requestId: null });
    rememberSecret(deputyKey.secret);
    const deputyCredentials = { key: deputyKey.apiKey.key, secret: deputyKey.secret, id: deputyKey.apiKey.id };
    await adminRequest(app, 'get', '/admin/v1/organization', deputyCredentials).expect(200);

    await adminRequest(app, 'delete', `/admin/v1/users/${deputy.id}/admin`, org.apiKey).expect(200);
    const forbidden = await adminRequest(app, 'get', '/admin/v1/organization', deputyCredentials).expect(403);
    expect(forbidden.body.error).toBe('forbidden');

    await dataSource.getRepository(User).update({ id: deputy.id }, { active: false });
    const inactive = await adminRequest(app, 'post', `/admin/v1/users/${deputy.id}/admin`, org.apiKey).expect(409);
    expect(inactive.body.error).toBe('user_inactive');
    await adminRequest(app, 'post', '/admin/v1/users/no-such-user/admin', org.apiKey).expect(404);
  });

  it('records issuance, revocation and failed authentication in the audit trail, newest first', async () => {
    const org = await bootstrapOrganization(app, 'audit');
    rememberSecret(org.apiKey.secret);
    const created = await createKey(org.apiKey, 'audited');
    const credentials = await issueScimCredentials(app, created);
    rememberSecret(credentials.password);
    await scimGet(app, '/scim/v2/Users', { username: credentials.username, password: 'wrong' }).set('X-Request-Id', 'audit-probe-1').expect(401);
    await adminRequest(app, 'delete', `/admin/v1/api-keys/${created.id}`, org.apiKey).expect(200);

    const response = await adminRequest(app, 'get', '/admin/v1/audit-events?limit=10', org.apiKey).expect(200);
    const types = (response.body.items as { type: string }[]).map((event) => event.type);
    expect(types).toEqual(['api_key.revoked', 'auth.failed', 'scim_credential.issued', 'api_key.created', 'api_key.created']);
    expect(response.body.total).toBe(5);
    const failure = (response.body.items as Record<string, unknown>[])[1];
    expect(failure).toMatchObject({
      type: 'auth.failed',
      target: { type: 'scim_username', id: credentials.username },
      sourceAddress: expect.any(String),
      requestId: 'audit-probe-1',
      detail: 'scim:wrong_password',
      actor: { apiKeyId: created.id },
    });
    const page = await adminRequest(app, 'get', '/admin/v1/audit-events?limit=2&offset=1', org.apiKey).expect(200);
    expect((page.body.items as { type: string }[]).map((event) => event.type)).toEqual(['auth.failed', 'scim_credential.issued']);
    await adminRequest(app, 'get', '/admin/v1/audit-events?limit=0', org.apiKey).expect(400);

    const otherOrg = await adminRequest(app, 'get', '/admin/v1/audit-events?limit=200', other.apiKey).expect(200);
    expect(JSON.stringify(otherOrg.body)).not.toContain(created.id);
  });

  it('validates bodies: a description that is not a string is a 400 and creates nothing', async () => {
    const before = await adminRequest(app, 'get', '/admin/v1/api-keys', acme.apiKey).expect(200);
    const response = await adminRequest(app, 'post', '/admin/v1/api-keys', acme.apiKey, { description: 42 }).expect(400);
    expect(response.body).toMatchObject({ statusCode: 400, error: 'bad_request', message: expect.stringContaining('description') });
    const after = await adminRequest(app, 'get', '/admin/v1/api-keys', acme.apiKey).expect(200);
    expect(after.body.items).toHaveLength(before.body.items.length);
  });

  it('takes a body-less signed POST sent with Content-Type: application/json, and refuses malformed JSON with 400', async () => {
    const path = `/admin/v1/api-keys/${acme.apiKey.id}/scim-credentials`;
    const timestamp = isoNow();
    const issued = await request(app.getHttpServer())
      .post(path)
      .set('ss-api-key', acme.apiKey.key)
      .set('ss-request-timestamp', timestamp)
      .set('ss-request-signature', signRequest(acme.apiKey.secret, acme.apiKey.key, path, timestamp, ''))
      .set('Content-Type', 'application/json')
      .expect(201);
    rememberSecret(issued.body.password);
    expect(issued.body.username).toMatch(/^scim_/);

    const malformed = await request(app.getHttpServer())
      .post('/admin/v1/api-keys')
      .set('ss-api-key', acme.apiKey.key)
      .set('ss-request-timestamp', timestamp)
      .set('ss-request-signature', signRequest(acme.apiKey.secret, acme.apiKey.key, '/admin/v1/api-keys', timestamp, '{"description":'))
      .set('Content-Type', 'application/json')
      .send('{"description":')
      .expect(400);
    expect(malformed.body).toMatchObject({ statusCode: 400, error: 'bad_request', message: 'The request body is not valid JSON.' });
  });

  it('serves the OpenAPI description of the admin API, including the signing scheme', async () => {
    const response = await request(app.getHttpServer()).get('/admin/docs-json').expect(200);
    expect(Object.keys(response.body.paths)).toEqual(
      expect.arrayContaining(['/admin/v1/api-keys', '/admin/v1/api-keys/{id}/scim-credentials', '/admin/v1/organization', '/admin/v1/audit-events']),
    );
    expect(Object.keys(response.body.paths).some((path) => path.startsWith('/scim') || path.startsWith('/health'))).toBe(false);
    expect(Object.keys(response.body.components.securitySchemes)).toEqual(['ss-api-key', 'ss-request-timestamp', 'ss-request-signature']);
    expect(response.body.info.description).toContain('HMAC-SHA256');
    await request(app.getHttpServer()).get('/admin/docs').expect(200);
  });
});
