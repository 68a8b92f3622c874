import { createHmac } from 'node:crypto';
import { INestApplication } from '@nestjs/common';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiKeysService } from '../../../src/api-keys/api-keys.service';
import { newNonce } from '../../../src/auth/request-signature';
import { User } from '../../../src/users/user.entity';
import {
  adminRequest,
  ApiKeyCredentials,
  bootstrapOrganization,
  BootstrappedOrganization,
  isoNow,
  issueScimCredentials,
  scimGet,
  sendAdmin,
  signedHeaders,
} from '../../support/admin-api';
import { writeDirectly } from '../../support/direct-writes';
import { rawRequest } from '../../support/raw-http';
import { rememberSecret } from '../../support/secret-ledger';
import { createTestApp } from '../../support/test-app';

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
    const response = await adminRequest(app, 'post', '/admin/v1/api-keys', owner, description === undefined ? {} : { description }).expect(
      201,
    );
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
    expect(Object.keys(listed!).sort()).toEqual([
      'createdAt',
      'description',
      'id',
      'key',
      'lastUsedAt',
      'owner',
      'revokedAt',
      'scimCredentialActive',
    ]);
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
    await expect
      .poll(async () => {
        const after = await adminRequest(app, 'get', '/admin/v1/api-keys', acme.apiKey).expect(200);
        return (after.body.items as { id: string; lastUsedAt: string | null }[]).find((k) => k.id === created.id)?.lastUsedAt;
      })
      .not.toBeNull();
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

  it('refuses a bad signature, a signature over another method, path, body, timestamp or nonce', async () => {
    await adminRequest(app, 'get', '/admin/v1/api-keys', acme.apiKey, undefined, { signature: 'f'.repeat(64) }).expect(401);
    await adminRequest(app, 'get', '/admin/v1/api-keys', acme.apiKey, undefined, { signature: 'not-hex' }).expect(401);
    await adminRequest(app, 'get', '/admin/v1/api-keys', { ...acme.apiKey, secret: 'wrong-secret' }).expect(401);

    await adminRequest(app, 'get', '/admin/v1/api-keys', acme.apiKey).expect(200);

    const timestamp = isoNow();
    const nonce = newNonce();
    const goodForGet = signedHeaders(acme.apiKey, 'GET', '/admin/v1/api-keys', '', { timestamp, nonce });
    const signature = goodForGet['ss-request-signature'];
    await sendAdmin(app, 'get', '/admin/v1/api-keys?limit=1', goodForGet).expect(401);
    await sendAdmin(app, 'post', '/admin/v1/api-keys', goodForGet, '{"description":"smuggled"}').expect(401);
    await sendAdmin(app, 'get', '/admin/v1/api-keys', { ...goodForGet, 'ss-request-timestamp': isoNow(1000) }).expect(401);
    await sendAdmin(app, 'get', '/admin/v1/api-keys', { ...goodForGet, 'ss-request-nonce': newNonce() }).expect(401);
    // None of those consumed the nonce: only an authentic request does.
    await sendAdmin(app, 'get', '/admin/v1/api-keys', goodForGet).expect(200);
    expect(signature).toMatch(/^[0-9a-f]{64}$/);
  });

  it('refuses a request replayed unchanged, and changes nothing the second time', async () => {
    const before = (await adminRequest(app, 'get', '/admin/v1/api-keys', acme.apiKey).expect(200)).body.items.length as number;
    const raw = JSON.stringify({ description: 'once' });
    const headers = signedHeaders(acme.apiKey, 'POST', '/admin/v1/api-keys', raw);
    const created = await sendAdmin(app, 'post', '/admin/v1/api-keys', headers, raw).expect(201);
    rememberSecret(created.body.secret);
    const replayed = await sendAdmin(app, 'post', '/admin/v1/api-keys', headers, raw).expect(401);
    expect(replayed.body).toMatchObject({ statusCode: 401, error: 'unauthorized', message: expect.stringContaining('replayed') });
    const after = (await adminRequest(app, 'get', '/admin/v1/api-keys', acme.apiKey).expect(200)).body.items.length as number;
    expect(after).toBe(before + 1);

    // Read-only requests are single-use too.
    const read = signedHeaders(acme.apiKey, 'GET', '/admin/v1/organization');
    await sendAdmin(app, 'get', '/admin/v1/organization', read).expect(200);
    expect((await sendAdmin(app, 'get', '/admin/v1/organization', read).expect(401)).body.message).toContain('replayed');
  });

  it('binds a nonce to its key: another key may use the same nonce once', async () => {
    const second = await createKey(acme.apiKey, 'nonce owner');
    const nonce = newNonce();
    await adminRequest(app, 'get', '/admin/v1/organization', acme.apiKey, undefined, { nonce }).expect(200);
    await adminRequest(app, 'get', '/admin/v1/organization', second, undefined, { nonce }).expect(200);
    await adminRequest(app, 'get', '/admin/v1/organization', second, undefined, { nonce }).expect(401);
  });

  it('refuses a signed request resent with another method: no credential minted, no key created', async () => {
    const created = await createKey(acme.apiKey, 'method swap');
    const credentials = await issueScimCredentials(app, created);
    rememberSecret(credentials.password);
    const path = `/admin/v1/api-keys/${created.id}/scim-credentials`;

    // A captured DELETE of the SCIM credential, resent as POST, must not mint a new password.
    const revoke = signedHeaders(acme.apiKey, 'DELETE', path);
    const minted = await sendAdmin(app, 'post', path, revoke).expect(401);
    expect(minted.body.password).toBeUndefined();
    await scimGet(app, '/scim/v2/Users', credentials).expect(200);
    await sendAdmin(app, 'delete', path, revoke).expect(204);
    await scimGet(app, '/scim/v2/Users', credentials).expect(401);

    // A captured GET of the key list, resent as POST, must not create a key.
    const list = signedHeaders(acme.apiKey, 'GET', '/admin/v1/api-keys');
    const before = (await adminRequest(app, 'get', '/admin/v1/api-keys', acme.apiKey).expect(200)).body.items.length as number;
    const smuggled = await sendAdmin(app, 'post', '/admin/v1/api-keys', list).expect(401);
    expect(smuggled.body.secret).toBeUndefined();
    expect((await adminRequest(app, 'get', '/admin/v1/api-keys', acme.apiKey).expect(200)).body.items).toHaveLength(before);
    await sendAdmin(app, 'get', '/admin/v1/api-keys', list).expect(200);
  });

  it('refuses the retired first scheme with a 401 that names scheme v2 and its headers', async () => {
    const timestamp = isoNow();
    const path = '/admin/v1/organization';
    const firstScheme = createHmac('sha256', acme.apiKey.secret).update(`${acme.apiKey.key}${path}${timestamp}`).digest('hex');
    const response = await request(app.getHttpServer())
      .get(path)
      .set('ss-api-key', acme.apiKey.key)
      .set('ss-request-timestamp', timestamp)
      .set('ss-request-signature', firstScheme)
      .expect(401);
    expect(response.body.message).toContain('scheme v2');
    for (const header of ['ss-api-key', 'ss-request-timestamp', 'ss-request-nonce', 'ss-request-signature']) {
      expect(response.body.message).toContain(header);
    }
    // With a nonce added but still signed the first way: refused, and the message says how to sign.
    const withNonce = await request(app.getHttpServer())
      .get(path)
      .set('ss-api-key', acme.apiKey.key)
      .set('ss-request-timestamp', timestamp)
      .set('ss-request-nonce', newNonce())
      .set('ss-request-signature', firstScheme)
      .expect(401);
    expect(withNonce.body.message).toContain('scheme v2');
  });

  it('refuses timestamps outside ±5 minutes, malformed timestamps and nonces, and missing headers', async () => {
    const early = await adminRequest(app, 'get', '/admin/v1/api-keys', acme.apiKey, undefined, { timestamp: isoNow(-6 * 60_000) }).expect(
      401,
    );
    expect(early.body.message).toContain('more than 5 minutes');
    await adminRequest(app, 'get', '/admin/v1/api-keys', acme.apiKey, undefined, { timestamp: isoNow(6 * 60_000) }).expect(401);
    await adminRequest(app, 'get', '/admin/v1/api-keys', acme.apiKey, undefined, { timestamp: isoNow(4 * 60_000) }).expect(200);
    const malformed = await adminRequest(app, 'get', '/admin/v1/api-keys', acme.apiKey, undefined, { timestamp: 'yesterday' }).expect(401);
    expect(malformed.body.message).toContain('ISO-8601');
    for (const nonce of ['short', 'x'.repeat(129), 'has spaces in it ok', 'semi;colons;are;not;ok', 'ünïcödéünïcödéünïcödé']) {
      const refused = await adminRequest(app, 'get', '/admin/v1/api-keys', acme.apiKey, undefined, { nonce }).expect(401);
      expect(refused.body.message, nonce).toContain('ss-request-nonce must be 16 to 128 characters');
    }
    for (const omit of ['key', 'timestamp', 'nonce', 'signature'] as const) {
      const missing = await adminRequest(app, 'get', '/admin/v1/api-keys', acme.apiKey, undefined, { omit: [omit] }).expect(401);
      expect(missing.body.message, omit).toContain('scheme v2');
    }
    await adminRequest(app, 'get', '/admin/v1/api-keys', { key: 'ak_unknown', secret: 'x', id: 'x' }).expect(401);
    await adminRequest(app, 'get', '/admin/v1/api-keys', { key: `ak_${'x'.repeat(5000)}`, secret: 'x', id: 'x' }).expect(401);
  });

  it('takes the API key byte for byte on every database: the key in another case is unknown', async () => {
    const variant = `AK_${acme.apiKey.key.slice('ak_'.length)}`;
    await adminRequest(app, 'get', '/admin/v1/organization', { ...acme.apiKey, key: variant }).expect(401);
    await adminRequest(app, 'get', '/admin/v1/organization', acme.apiKey).expect(200);
  });

  it('refuses a signature header given twice, even when one copy is right', async () => {
    const headers = signedHeaders(acme.apiKey, 'GET', '/admin/v1/organization');
    for (const name of ['ss-api-key', 'ss-request-timestamp', 'ss-request-nonce', 'ss-request-signature']) {
      const raw = await rawRequest(app, [
        'GET /admin/v1/organization HTTP/1.1',
        ...Object.entries(headers).map(([k, v]) => `${k}: ${v}`),
        `${name}: ${headers[name]}`,
      ]);
      expect(raw.status, name).toBe(401);
      expect(raw.body, name).toContain('at most once');
    }
    await sendAdmin(app, 'get', '/admin/v1/organization', headers).expect(200);
  });

  it('answers 415 to a correctly signed body that is not JSON, before the signature, creating nothing', async () => {
    const before = (await adminRequest(app, 'get', '/admin/v1/api-keys', acme.apiKey).expect(200)).body.items.length as number;
    const raw = JSON.stringify({ description: 'as text' });
    for (const contentType of ['text/plain', 'application/x-www-form-urlencoded', 'application/xml', 'application/octet-stream']) {
      const response = await request(app.getHttpServer())
        .post('/admin/v1/api-keys')
        .set(signedHeaders(acme.apiKey, 'POST', '/admin/v1/api-keys', raw))
        .set('Content-Type', contentType)
        .send(raw)
        .expect(415);
      expect(response.body, contentType).toMatchObject({
        statusCode: 415,
        error: 'unsupported_media_type',
        message: expect.stringContaining('application/json'),
      });
    }
    // Checked before the signature: a wrong signature with a wrong media type is still a 415.
    await request(app.getHttpServer())
      .post('/admin/v1/api-keys')
      .set(signedHeaders(acme.apiKey, 'POST', '/admin/v1/api-keys', raw, { signature: 'f'.repeat(64) }))
      .set('Content-Type', 'text/plain')
      .send(raw)
      .expect(415);
    expect((await adminRequest(app, 'get', '/admin/v1/api-keys', acme.apiKey).expect(200)).body.items).toHaveLength(before);
    const asJson = await request(app.getHttpServer())
      .post('/admin/v1/api-keys')
      .set(signedHeaders(acme.apiKey, 'POST', '/admin/v1/api-keys', raw))
      .set('Content-Type', 'application/json; charset=utf-8')
      .send(raw)
      .expect(201);
    rememberSecret(asJson.body.secret);
  });

  it('refuses keys whose owner is no longer an administrator, and protects the last administrator', async () => {
    const org = await bootstrapOrganization(app, 'roles');
    rememberSecret(org.apiKey.secret);
    const deputy = await writeDirectly(app, (dataSource) =>
      dataSource.getRepository(User).save({
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
      }),
    );

    const lastAdmin = await adminRequest(app, 'delete', `/admin/v1/users/${org.adminId}/admin`, org.apiKey).expect(409);
    expect(lastAdmin.body.error).toBe('last_administrator');

    const granted = await adminRequest(app, 'post', `/admin/v1/users/${deputy.id}/admin`, org.apiKey).expect(201);
    expect(granted.body).toMatchObject({ id: deputy.id, role: 'admin' });
    // A key of the deputy's own, as if they had created it while an administrator.
    const deputyKey = await app
      .get(ApiKeysService)
      .create({ organizationId: org.organizationId, userId: deputy.id, apiKeyId: null }, 'deputy', {
        sourceAddress: 'test',
        requestId: null,
      });
    rememberSecret(deputyKey.secret);
    const deputyCredentials = { key: deputyKey.apiKey.key, secret: deputyKey.secret, id: deputyKey.apiKey.id };
    await adminRequest(app, 'get', '/admin/v1/organization', deputyCredentials).expect(200);

    await adminRequest(app, 'delete', `/admin/v1/users/${deputy.id}/admin`, org.apiKey).expect(200);
    const refused = await adminRequest(app, 'get', '/admin/v1/organization', deputyCredentials).expect(401);
    expect(refused.body.error).toBe('unauthorized');

    await writeDirectly(app, (dataSource) => dataSource.getRepository(User).update({ id: deputy.id }, { active: false }));
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
    await scimGet(app, '/scim/v2/Users', { username: credentials.username, password: 'wrong' })
      .set('X-Request-Id', 'audit-probe-1')
      .expect(401);
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
    const issued = await request(app.getHttpServer())
      .post(path)
      .set(signedHeaders(acme.apiKey, 'POST', path))
      .set('Content-Type', 'application/json')
      .expect(201);
    rememberSecret(issued.body.password);
    expect(issued.body.username).toMatch(/^scim_/);

    const malformed = await request(app.getHttpServer())
      .post('/admin/v1/api-keys')
      .set(signedHeaders(acme.apiKey, 'POST', '/admin/v1/api-keys', '{"description":'))
      .set('Content-Type', 'application/json')
      .send('{"description":')
      .expect(400);
    expect(malformed.body).toMatchObject({ statusCode: 400, error: 'bad_request', message: 'The request body is not valid JSON.' });
  });

  it('serves the OpenAPI description of the admin API, including the signing scheme', async () => {
    const response = await request(app.getHttpServer()).get('/admin/docs-json').expect(200);
    expect(Object.keys(response.body.paths)).toEqual(
      expect.arrayContaining([
        '/admin/v1/api-keys',
        '/admin/v1/api-keys/{id}/scim-credentials',
        '/admin/v1/organization',
        '/admin/v1/audit-events',
      ]),
    );
    expect(Object.keys(response.body.paths).some((path) => path.startsWith('/scim') || path.startsWith('/health'))).toBe(false);
    const headers = ['ss-api-key', 'ss-request-timestamp', 'ss-request-nonce', 'ss-request-signature'];
    expect(Object.keys(response.body.components.securitySchemes)).toEqual(headers);
    expect(response.body.paths['/admin/v1/api-keys'].post.security).toEqual([Object.fromEntries(headers.map((header) => [header, []]))]);
    const description = response.body.info.description as string;
    expect(description).toContain('scheme v2');
    expect(description).toContain('HMAC-SHA256');
    expect(description).toContain('key + "\\n" + METHOD + "\\n" + pathWithQuery + "\\n" + timestamp + "\\n" + nonce + "\\n" + bodySha256');
    expect(description).toContain('ss-content-sha256');
    await request(app.getHttpServer()).get('/admin/docs').expect(200);
  });
});
