import { INestApplication } from '@nestjs/common';
import fc from 'fast-check';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminRequest, bootstrapOrganization, BootstrappedOrganization, sendAdmin, signedHeaders } from '../../support/admin-api';
import { allRoutes } from '../../support/app-routes';
import { everyHostileCase, expectWellFormedAnswer, FUZZ_SEED, hostileRequests, send } from '../../support/hostile-requests';
import { rememberSecret } from '../../support/secret-ledger';
import { createTestApp } from '../../support/test-app';

const RUNS = Number(process.env.FUZZ_RUNS ?? 100);
const ROUTE_RUNS = Number(process.env.FUZZ_RUNS ?? 250);

const junk = fc.oneof(
  fc.string({ maxLength: 80 }),
  fc.constantFrom(
    '',
    ' ',
    '__proto__',
    'constructor',
    "' OR 1=1 --",
    'ak_' + 'A'.repeat(24),
    '2026-11-28T10:00:00Z',
    'f'.repeat(64),
    'é'.repeat(100),
  ),
);

function expectAdminError(response: request.Response): void {
  expect(response.status).toBeLessThan(500);
  expect(response.status).toBeGreaterThanOrEqual(400);
  expect(response.body).toMatchObject({ statusCode: response.status, error: expect.any(String), message: expect.any(String) });
}

describe('property-based: random requests never break the admin API', () => {
  let app: INestApplication;
  let org: BootstrappedOrganization;

  beforeAll(async () => {
    process.env.AUTH_FAILURES_PER_ADDRESS = '100000';
    process.env.AUTH_FAILURES_PER_USERNAME = '100000';
    app = await createTestApp();
    org = await bootstrapOrganization(app, 'admin-fuzz');
    rememberSecret(org.apiKey.secret);
  });

  afterAll(async () => {
    await app.close();
  });

  /** The keys as a rejected request could have changed them (lastUsedAt moves with our own reads). */
  async function keyState(): Promise<unknown> {
    const { items } = (await adminRequest(app, 'get', '/admin/v1/api-keys', org.apiKey).expect(200)).body as {
      items: Record<string, unknown>[];
    };
    return items.map(({ lastUsedAt: _lastUsedAt, ...rest }) => rest);
  }

  describe('every admin and public route and method the app registers', () => {
    // The SAML routes and the web console answer HTML pages by design: test/e2e/sso/sso-fuzz.e2e-spec.ts
    // and test/e2e/console/console-http.e2e-spec.ts fuzz them.
    const routes = () => allRoutes(app).filter((route) => route.auth !== 'scim' && route.auth !== 'sso' && route.auth !== 'console');
    const credentials = () => ({ scimAuthorization: 'Basic Og==', apiKey: org.apiKey });
    const secrets = () => [org.apiKey.secret, ...(process.env.ENCRYPTION_KEY ? [process.env.ENCRYPTION_KEY] : [])];

    it('long, repeated and oddly encoded parameters, deep and non-UTF-8 bodies: never a 5xx, always the admin error shape, no secret', async () => {
      const before = await keyState();
      expect(routes().length).toBeGreaterThan(15);
      const bodyRoutes = routes().filter((route) =>
        ['/admin/v1/api-keys', '/admin/v1/api-keys/:id', '/admin/v1/users/:id/messages', '/admin/v1/users/:id/files'].includes(route.path),
      );
      for (const { name, request: hostile } of everyHostileCase(routes(), bodyRoutes)) {
        expectWellFormedAnswer(await send(app, hostile, credentials()), secrets(), name);
      }
      // Keys are created by some of the bodies, but none revoked: every id above was made up.
      const after = (await keyState()) as { id: string; revokedAt: string | null }[];
      expect(after.filter((key) => key.revokedAt !== null)).toEqual((before as typeof after).filter((key) => key.revokedAt !== null));
    });

    it('random mixes of the same, authenticated and not', async () => {
      await fc.assert(
        fc.asyncProperty(hostileRequests(routes()), async (hostile) => {
          expectWellFormedAnswer(await send(app, hostile, credentials()), secrets(), `${hostile.method} ${hostile.route.path}`);
        }),
        { numRuns: ROUTE_RUNS, seed: FUZZ_SEED },
      );
    });
  });

  it('random signature headers on any admin route: 401, never a 5xx, nothing changes', async () => {
    const routes = fc.constantFrom<[string, 'get' | 'post' | 'delete']>(
      ['/admin/v1/api-keys', 'get'],
      ['/admin/v1/api-keys', 'post'],
      [`/admin/v1/api-keys/${org.apiKey.id}`, 'delete'],
      [`/admin/v1/api-keys/${org.apiKey.id}/scim-credentials`, 'post'],
      [`/admin/v1/users/${org.adminId}/admin`, 'delete'],
      ['/admin/v1/organization', 'get'],
      ['/admin/v1/audit-events', 'get'],
      ['/admin/v1/users', 'get'],
      [`/admin/v1/users/${org.adminId}`, 'get'],
      [`/admin/v1/users/${org.adminId}/messages`, 'post'],
      [`/admin/v1/users/${org.adminId}/files`, 'post'],
      [`/admin/v1/users/${org.adminId}/history`, 'get'],
      ['/admin/v1/purges', 'get'],
      ['/admin/v1/purges/x', 'get'],
      ['/admin/v1/purges/x/retry', 'post'],
    );
    await fc.assert(
      fc.asyncProperty(routes, junk, junk, junk, junk, fc.boolean(), async ([path, method], key, timestamp, nonce, signature, realKey) => {
        const before = await keyState();
        const test = request(app.getHttpServer())
          [method](path)
          .set('ss-api-key', (realKey ? org.apiKey.key : key).replace(/[\r\n]/g, ''))
          .set('ss-request-timestamp', timestamp.replace(/[\r\n]/g, ''))
          .set('ss-request-nonce', nonce.replace(/[\r\n]/g, ''))
          .set('ss-request-signature', signature.replace(/[\r\n]/g, ''));
        const response = await test;
        expectAdminError(response);
        expect(response.status).toBe(401);
        expect(await keyState()).toEqual(before);
      }),
      { numRuns: RUNS },
    );
  });

  it('correctly signed but random bodies and ids: a clear 4xx or success, never a 5xx', async () => {
    const body = fc.oneof(
      fc.jsonValue({ maxDepth: 4 }),
      fc.dictionary(junk, fc.jsonValue({ maxDepth: 2 }), { maxKeys: 5 }),
      fc.record({ description: fc.oneof(junk, fc.integer(), fc.constant(null)) }),
    );
    await fc.assert(
      fc.asyncProperty(body, async (payload) => {
        const before = await keyState();
        const raw = JSON.stringify(payload);
        const response = await sendAdmin(
          app,
          'post',
          '/admin/v1/api-keys',
          signedHeaders(org.apiKey, 'POST', '/admin/v1/api-keys', raw),
          raw,
        );
        if (response.status === 201) {
          rememberSecret(response.body.secret as string);
          await adminRequest(app, 'delete', `/admin/v1/api-keys/${response.body.id as string}`, org.apiKey).expect(200);
          return;
        }
        expectAdminError(response);
        expect(await keyState()).toEqual(before);
      }),
      { numRuns: RUNS },
    );

    const idRoutes = fc.constantFrom<[string, 'get' | 'post' | 'delete']>(
      ['/admin/v1/api-keys/ID', 'delete'],
      ['/admin/v1/api-keys/ID/scim-credentials', 'delete'],
      ['/admin/v1/users/ID/admin', 'delete'],
      ['/admin/v1/users/ID', 'get'],
      ['/admin/v1/users/ID/history', 'get'],
      ['/admin/v1/users/ID/messages', 'post'],
      ['/admin/v1/purges/ID', 'get'],
      ['/admin/v1/purges/ID/items', 'get'],
      ['/admin/v1/purges/ID/retry', 'post'],
    );
    await fc.assert(
      fc.asyncProperty(junk, idRoutes, async (id, [template, method]) => {
        const before = await keyState();
        const path = template.replace('ID', encodeURIComponent(id) || 'x');
        const response = await adminRequest(app, method, path, org.apiKey, method === 'post' ? { subject: 's', body: 'b' } : undefined);
        expectAdminError(response);
        expect(await keyState()).toEqual(before);
      }),
      { numRuns: RUNS },
    );
  });
});
