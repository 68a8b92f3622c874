import { INestApplication } from '@nestjs/common';
import request from 'supertest';
import { DataSource } from 'typeorm';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { adminRequest } from '../../support/admin-api';
import { okta, oktaUser, scimTenant, ScimTenant } from '../../support/scim-client';
import { createTestApp } from '../../support/test-app';

const INJECTIONS = [
  "' OR '1'='1",
  '1; DROP TABLE users; --',
  '" OR 1=1 --',
  "x') UNION SELECT password_hash FROM scim_credentials --",
  '%27%20OR%201%3D1',
  '\\x00',
];

describe('security', () => {
  let app: INestApplication;
  let tenant: ScimTenant;

  beforeAll(async () => {
    process.env.AUTH_FAILURES_PER_ADDRESS = '100000';
    process.env.AUTH_FAILURES_PER_USERNAME = '100000';
    app = await createTestApp();
    tenant = await scimTenant(app, 'security');
  });

  afterAll(async () => {
    await app.close();
  });

  it('sends security headers everywhere and never X-Powered-By', async () => {
    for (const response of [
      await request(app.getHttpServer()).get('/health/live'),
      await okta(app, tenant).get('/Users'),
      await adminRequest(app, 'get', '/admin/v1/organization', tenant.apiKey),
      await request(app.getHttpServer()).get('/scim/v2/Users'),
    ]) {
      expect(response.headers['x-powered-by']).toBeUndefined();
      expect(response.headers['x-content-type-options']).toBe('nosniff');
      // Plain HTTP here: HSTS only over HTTPS (transport-security.e2e-spec.ts).
      expect(response.headers['strict-transport-security']).toBeUndefined();
      expect(response.headers['x-frame-options']).toBe('SAMEORIGIN');
      expect(response.headers['content-security-policy']).toContain("default-src 'none'");
    }
    const docs = await request(app.getHttpServer()).get('/admin/docs').expect(200);
    expect(docs.headers['content-security-policy']).toContain("script-src 'self' 'unsafe-inline'");
  });

  it('treats SQL-injection strings in ids, filters and bodies as plain data', async () => {
    const scim = okta(app, tenant);
    const dataSource = app.get(DataSource);
    // Across every organization, which no API lists at once: nothing dropped, nothing added but the one user.
    const [{ n: before }] = await dataSource.query<{ n: number | string }[]>('SELECT COUNT(*) AS n FROM users');
    for (const injection of INJECTIONS) {
      await scim.get(`/Users/${encodeURIComponent(injection)}`).expect(404);
      await scim
        .patch(`/Users/${encodeURIComponent(injection)}`, { schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'], Operations: [] })
        .expect(404);
      await adminRequest(app, 'delete', `/admin/v1/api-keys/${encodeURIComponent(injection)}`, tenant.apiKey).expect(404);
      await adminRequest(app, 'post', `/admin/v1/users/${encodeURIComponent(injection)}/admin`, tenant.apiKey).expect(404);
      const filtered = await scim
        .get(`/Users?filter=${encodeURIComponent(`userName eq "${injection.replace(/["\\]/g, '\\$&')}"`)}`)
        .expect(200);
      expect(filtered.body.totalResults).toBe(0);
    }
    const stored = await scim.post('/Users', oktaUser('o\'brien"; DROP TABLE users; --@example.com', "Rob'; --", 'Tables')).expect(201);
    const read = await scim.get(`/Users/${stored.body.id as string}`).expect(200);
    expect(read.body).toMatchObject({ userName: 'o\'brien"; DROP TABLE users; --@example.com', name: { givenName: "Rob'; --" } });
    const [{ n: after }] = await dataSource.query<{ n: number | string }[]>('SELECT COUNT(*) AS n FROM users');
    expect(Number(after)).toBe(Number(before) + 1);
  });

  it('takes comparable time to refuse an unknown username and a wrong password', async () => {
    const server = app.getHttpServer();
    const median = async (authorization: string): Promise<number> => {
      const samples: number[] = [];
      for (let i = 0; i < 60; i += 1) {
        const started = process.hrtime.bigint();
        await request(server).get('/scim/v2/Users').set('Authorization', authorization).expect(401);
        samples.push(Number(process.hrtime.bigint() - started) / 1e6);
      }
      samples.sort((a, b) => a - b);
      return samples[samples.length >> 1];
    };
    const basic = (user: string, password: string): string => `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
    // Interleaved rounds so machine noise hits both alike.
    const unknown: number[] = [];
    const wrong: number[] = [];
    for (let round = 0; round < 3; round += 1) {
      unknown.push(await median(basic('scim_doesnotexist00000000', 'x'.repeat(43))));
      wrong.push(await median(basic(tenant.credentials.username, 'x'.repeat(43))));
    }
    const [u, w] = [Math.min(...unknown), Math.min(...wrong)];
    // Both paths do one indexed lookup and one HMAC; allow generous noise, catch a slow hash on one side.
    expect(Math.abs(u - w)).toBeLessThan(Math.max(2, 0.5 * Math.max(u, w)));
  });
});

describe('hostname binding (SCIM_REQUIRE_ORGANIZATION_HOSTNAME)', () => {
  let app: INestApplication | undefined;
  let tenant: ScimTenant;
  let hostname: string;

  async function build(env: Record<string, string>): Promise<void> {
    Object.assign(process.env, { SCIM_REQUIRE_ORGANIZATION_HOSTNAME: 'true', ...env });
    app = await createTestApp();
    tenant = await scimTenant(app, 'bound');
    hostname = (await adminRequest(app, 'get', '/admin/v1/organization', tenant.apiKey).expect(200)).body.hostname as string;
  }

  afterEach(async () => {
    await app?.close();
    delete process.env.SCIM_REQUIRE_ORGANIZATION_HOSTNAME;
    delete process.env.TRUST_PROXY;
  });

  it("accepts a credential only on its organization's hostname", async () => {
    await build({});
    const scim = okta(app!, tenant);
    await scim.get('/Users').set('Host', hostname).expect(200);
    await scim.get('/Users').set('Host', hostname.toUpperCase()).expect(200);
    await scim.get('/Users').set('Host', 'other.example.com').expect(401);
    // Without a trusted proxy, a forwarded host is not believed.
    await scim.get('/Users').set('Host', 'other.example.com').set('X-Forwarded-Host', hostname).expect(401);
  });

  it("honours a trusted proxy's forwarded host", async () => {
    await build({ TRUST_PROXY: 'loopback' });
    const scim = okta(app!, tenant);
    await scim.get('/Users').set('Host', 'internal:8080').set('X-Forwarded-Host', hostname).expect(200);
    await scim.get('/Users').set('Host', hostname).set('X-Forwarded-Host', 'evil.example.com').expect(401);
  });
});
