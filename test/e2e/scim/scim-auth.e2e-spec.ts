import { INestApplication } from '@nestjs/common';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminRequest, bootstrapOrganization, issueScimCredentials, ScimCredentials, scimGet } from '../../support/admin-api';
import { rawRequest } from '../../support/raw-http';
import { rememberSecret } from '../../support/secret-ledger';
import { createTestApp } from '../../support/test-app';

const SCIM_ERROR = 'urn:ietf:params:scim:api:messages:2.0:Error';

let appCount = 0;

async function buildApp(limits: { perAddress: number; perUsername: number }): Promise<INestApplication> {
  process.env.AUTH_FAILURES_PER_ADDRESS = String(limits.perAddress);
  process.env.AUTH_FAILURES_PER_USERNAME = String(limits.perUsername);
  process.env.AUTH_FAILURE_WINDOW_SECONDS = '120';
  // Counters live in Redis when it is configured: a fresh prefix gives each app fresh counters.
  if (process.env.REDIS_KEY_PREFIX) {
    process.env.REDIS_KEY_PREFIX = `${process.env.REDIS_KEY_PREFIX.split('.')[0]}.${++appCount}`;
  }
  return createTestApp();
}

async function scimCredentialsFor(app: INestApplication, name: string): Promise<ScimCredentials> {
  const org = await bootstrapOrganization(app, name);
  const credentials = await issueScimCredentials(app, org.apiKey);
  rememberSecret(org.apiKey.secret, credentials.password);
  return credentials;
}

describe('SCIM Basic authentication', () => {
  let app: INestApplication;
  let credentials: ScimCredentials;

  beforeAll(async () => {
    app = await buildApp({ perAddress: 100000, perUsername: 100000 });
    credentials = await scimCredentialsFor(app, 'basic');
  });

  afterAll(async () => {
    await app.close();
  });

  const refusals: [string, Record<string, string>][] = [
    ['no Authorization header', {}],
    ["Okta's spec test value 'non-token'", { Authorization: 'non-token' }],
    ['a Bearer token', { Authorization: 'Bearer abc.def.ghi' }],
    ['Basic without credentials', { Authorization: 'Basic' }],
    ['Basic with garbage', { Authorization: 'Basic %%%not-base64%%%' }],
    ['Basic without a colon', { Authorization: `Basic ${Buffer.from('justausername').toString('base64')}` }],
    ['an unknown username', { Authorization: `Basic ${Buffer.from('scim_nobody:whatever').toString('base64')}` }],
  ];

  for (const [name, headers] of refusals) {
    it(`answers 401 in the SCIM Error schema for ${name}`, async () => {
      const response = await request(app.getHttpServer()).get('/scim/v2/Users?filter=userName%20eq%20%22x%22').set(headers).expect(401);
      expect(response.headers['www-authenticate']).toMatch(/^Basic realm="SCIM"/);
      expect(response.headers['content-type']).toBe('application/scim+json; charset=utf-8');
      expect(response.body).toEqual({ schemas: [SCIM_ERROR], status: '401', detail: expect.stringMatching(/\w+/) });
    });
  }

  it('answers 401 for a wrong password and 200 for the right one, with the scheme name in any case', async () => {
    await scimGet(app, '/scim/v2/Users', { username: credentials.username, password: `${credentials.password}x` }).expect(401);
    const basic = Buffer.from(`${credentials.username}:${credentials.password}`).toString('base64');
    await request(app.getHttpServer()).get('/scim/v2/Users').set('Authorization', `basic ${basic}`).expect(200);
  });

  it('compares the username byte for byte on every database: in another case it is unknown', async () => {
    const variant = `SCIM_${credentials.username.slice('scim_'.length)}`;
    await scimGet(app, '/scim/v2/Users', { username: variant, password: credentials.password }).expect(401);
    await scimGet(app, '/scim/v2/Users', credentials).expect(200);
  });

  it('refuses an Authorization header sent twice, even when one of them is right', async () => {
    const right = `Basic ${Buffer.from(`${credentials.username}:${credentials.password}`).toString('base64')}`;
    for (const pair of [
      [right, 'Basic Z2FyYmFnZTpnYXJiYWdl'],
      ['Basic Z2FyYmFnZTpnYXJiYWdl', right],
      [right, right],
    ]) {
      const response = await rawRequest(app, ['GET /scim/v2/Users HTTP/1.1', ...pair.map((value) => `Authorization: ${value}`)]);
      expect(response.status).toBe(401);
      expect(JSON.parse(response.body)).toMatchObject({ schemas: [SCIM_ERROR], status: '401' });
    }
    const once = await rawRequest(app, ['GET /scim/v2/Users HTTP/1.1', `Authorization: ${right}`]);
    expect(once.status).toBe(200);
  });

  it('guards routes that do not exist yet under /scim with authentication first', async () => {
    await request(app.getHttpServer()).get('/scim/v2/Nope').expect(404);
  });
});

describe('failed-authentication throttling', () => {
  let app: INestApplication;

  afterAll(async () => {
    await app.close();
  });

  it('throttles a username after repeated failures while its real password keeps working', async () => {
    app = await buildApp({ perAddress: 100000, perUsername: 3 });
    const credentials = await scimCredentialsFor(app, 'per-user');
    const wrong = { username: credentials.username, password: 'guess' };
    for (let attempt = 0; attempt < 3; attempt += 1) {
      await scimGet(app, '/scim/v2/Users', wrong).expect(401);
    }
    const throttled = await scimGet(app, '/scim/v2/Users', wrong).expect(429);
    expect(Number(throttled.headers['retry-after'])).toBeGreaterThan(0);
    expect(Number(throttled.headers['retry-after'])).toBeLessThanOrEqual(120);
    expect(throttled.body).toMatchObject({ schemas: [SCIM_ERROR], status: '429' });

    for (let request = 0; request < 20; request += 1) {
      await scimGet(app, '/scim/v2/Users', credentials).expect(200);
    }
    await app.close();
  });

  it('throttles the failures of a source address on SCIM and admin routes alike, never its correct credentials', async () => {
    app = await buildApp({ perAddress: 4, perUsername: 100000 });
    const org = await bootstrapOrganization(app, 'per-address');
    const credentials = await issueScimCredentials(app, org.apiKey);
    rememberSecret(org.apiKey.secret, credentials.password);
    for (let attempt = 0; attempt < 4; attempt += 1) {
      await request(app.getHttpServer()).get('/scim/v2/Users').set('Authorization', 'non-token').expect(401);
    }
    const scim = await request(app.getHttpServer()).get('/scim/v2/Users').set('Authorization', 'non-token').expect(429);
    expect(scim.body).toMatchObject({ schemas: [SCIM_ERROR], status: '429', detail: expect.stringContaining('Retry after') });
    expect(Number(scim.headers['retry-after'])).toBeGreaterThan(0);

    const admin = await request(app.getHttpServer()).get('/admin/v1/api-keys').expect(429);
    expect(admin.body).toMatchObject({ statusCode: 429, error: 'too_many_requests' });
    expect(admin.headers['retry-after']).toBeDefined();
    await scimGet(app, '/scim/v2/Users', { username: credentials.username, password: 'guess' }).expect(429);
    await adminRequest(app, 'get', '/admin/v1/organization', { ...org.apiKey, secret: 'guess' }).expect(429);

    // Okta's correct credential and a correctly signed admin request pass from the same address.
    const auditBefore = (await adminRequest(app, 'get', '/admin/v1/audit-events?limit=1', org.apiKey).expect(200)).body.total as number;
    for (let i = 0; i < 5; i += 1) {
      await scimGet(app, '/scim/v2/Users', credentials).expect(200);
      await adminRequest(app, 'get', '/admin/v1/organization', org.apiKey).expect(200);
    }
    // Failures from an address over its limit are refused cheaply: counted in metrics, not audited.
    await scimGet(app, '/scim/v2/Users', { username: credentials.username, password: 'guess again' }).expect(429);
    const auditAfter = (await adminRequest(app, 'get', '/admin/v1/audit-events?limit=1', org.apiKey).expect(200)).body.total as number;
    expect(auditAfter).toBe(auditBefore);

    await request(app.getHttpServer()).get('/health/live').expect(200);
  });
});
