import { INestApplication } from '@nestjs/common';
import fc from 'fast-check';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { allRoutes } from '../../support/app-routes';
import { everyHostileCase, expectWellFormedAnswer, FUZZ_SEED, hostileRequests, send } from '../../support/hostile-requests';
import { CORE_USER, ERROR, okta, oktaUser, PATCH_OP, scimTenant, ScimTenant } from '../../support/scim-client';
import { createTestApp } from '../../support/test-app';

const RUNS = Number(process.env.FUZZ_RUNS ?? 120);
const ROUTE_RUNS = Number(process.env.FUZZ_RUNS ?? 250);

/** Values a hostile or broken client might put anywhere in a JSON body. */
const nastyValue = fc.oneof(
  fc.jsonValue({ maxDepth: 4 }),
  fc.constantFrom(
    '__proto__',
    'constructor',
    'prototype',
    'True',
    'False',
    '',
    ' ',
    '\u0000',
    'é'.repeat(300),
    "x' OR '1'='1",
    '"; DROP TABLE users; --',
  ),
  fc.constantFrom(1e308, -0, Number.MAX_SAFE_INTEGER + 2, 2 ** 64),
  fc.string({ unit: 'grapheme', maxLength: 40 }),
);

const attributeName = fc.constantFrom(
  'userName',
  'USERNAME',
  'name',
  'name.givenName',
  'name.familyName',
  'active',
  'emails',
  'externalId',
  'id',
  'meta',
  'password',
  'groups',
  '__proto__',
  'constructor',
  'urn:ietf:params:scim:schemas:core:2.0:User:name.givenName',
  'emails[type eq "work"].value',
  'emails[type eq',
  'x'.repeat(2000),
);

const deepObject = fc.letrec((tie) => ({
  node: fc.oneof(
    { depthSize: 'small' },
    nastyValue,
    fc.dictionary(attributeName, tie('node'), { maxKeys: 4 }),
    fc.array(tie('node'), { maxLength: 3 }),
  ),
})).node;

const operation = fc.record(
  { op: fc.constantFrom('add', 'replace', 'remove', 'Replace', 'ADD', 'move', 'copy', 'test', ''), path: attributeName, value: deepObject },
  { requiredKeys: [] },
);

const filterFragment = fc.constantFrom(
  'userName',
  'name.givenName',
  'emails[type eq "work"]',
  'active',
  'meta.created',
  'externalId',
  'title',
  ' eq ',
  ' ne ',
  ' co ',
  ' sw ',
  ' gt ',
  ' pr',
  ' and ',
  ' or ',
  'not ',
  '(',
  ')',
  '"x"',
  '"a\\"b"',
  'true',
  'null',
  '5',
  '[',
  ']',
  "'",
  '\\',
  '"2020-01-01T00:00:00Z"',
  '%',
  'urn:ietf:params:scim:schemas:core:2.0:User:userName',
);

const mediaType = fc.constantFrom(
  'application/scim+json',
  'application/scim+json; charset=utf-8',
  'application/json',
  'text/plain',
  'application/xml',
  'application/x-www-form-urlencoded',
  'application/scim+json; charset=latin1',
  '',
);

function expectScimError(response: request.Response): void {
  expect(response.status).toBeLessThan(500);
  expect(response.headers['content-type']).toBe('application/scim+json; charset=utf-8');
  expect(response.body.schemas).toEqual([ERROR]);
  expect(response.body.status).toBe(String(response.status));
  expect(typeof response.body.detail).toBe('string');
}

describe('property-based: random requests never break the SCIM API', () => {
  let app: INestApplication;
  let tenant: ScimTenant;
  let scim: ReturnType<typeof okta>;
  let userId: string;

  beforeAll(async () => {
    process.env.AUTH_FAILURES_PER_ADDRESS = '100000';
    process.env.AUTH_FAILURES_PER_USERNAME = '100000';
    app = await createTestApp();
    tenant = await scimTenant(app, 'fuzz');
    scim = okta(app, tenant);
    userId = (await scim.post('/Users', oktaUser('fuzz.target@example.com', 'Fuzz', 'Target')).expect(201)).body.id as string;
  });

  afterAll(async () => {
    await app.close();
  });

  async function visibleState(): Promise<unknown> {
    const user = (await scim.get(`/Users/${userId}`).expect(200)).body;
    const list = (await scim.get('/Users?count=0').expect(200)).body;
    return { user, total: list.totalResults };
  }

  it('random filters: 200 or a 400 invalidFilter, never a 5xx', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(filterFragment, { minLength: 1, maxLength: 12 }), async (fragments) => {
        const response = await scim.get(`/Users?filter=${encodeURIComponent(fragments.join(''))}`);
        if (response.status !== 200) {
          expectScimError(response);
          expect(response.status).toBe(400);
          expect(response.body.scimType).toBe('invalidFilter');
        }
      }),
      { numRuns: RUNS },
    );
  });

  it('random POST bodies and media types: rejected ones write nothing', async () => {
    await fc.assert(
      fc.asyncProperty(deepObject, mediaType, fc.boolean(), async (body, contentType, withSchemas) => {
        const before = await visibleState();
        const payload =
          withSchemas && typeof body === 'object' && body !== null && !Array.isArray(body) ? { ...body, schemas: [CORE_USER] } : body;
        const response = await scim.post('/Users', JSON.stringify(payload), contentType || undefined);
        if (response.status === 201) {
          await scim.delete(`/Users/${response.body.id as string}`).expect(204);
          return;
        }
        expectScimError(response);
        expect(await visibleState()).toEqual(before);
      }),
      { numRuns: RUNS },
    );
  });

  it('random PATCH operations: applied whole or not at all', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(operation, { maxLength: 5 }), fc.boolean(), async (operations, withSchemas) => {
        const before = await visibleState();
        const response = await scim.patch(
          `/Users/${userId}`,
          withSchemas ? { schemas: [PATCH_OP], Operations: operations } : { Operations: operations },
        );
        if (response.status === 200) {
          expect(response.body.id).toBe(userId);
          if ((response.body as { active: boolean }).active === false) {
            await scim
              .patch(`/Users/${userId}`, {
                schemas: [PATCH_OP],
                Operations: [{ op: 'replace', value: { active: true, name: { givenName: 'Fuzz', familyName: 'Target' } } }],
              })
              .expect(200);
          }
          return;
        }
        expectScimError(response);
        expect(await visibleState()).toEqual(before);
      }),
      { numRuns: RUNS },
    );
  });

  describe('every SCIM route and method the app registers', () => {
    const scimRoutes = () => allRoutes(app).filter((route) => route.auth === 'scim');
    const credentials = () => ({ scimAuthorization: tenant.authorization, apiKey: tenant.apiKey });
    const secrets = () => [
      tenant.credentials.password,
      tenant.apiKey.secret,
      ...(process.env.ENCRYPTION_KEY ? [process.env.ENCRYPTION_KEY] : []),
    ];

    it('long, repeated and oddly encoded parameters, deep and non-UTF-8 bodies: never a 5xx, always the SCIM error shape, no secret', async () => {
      const routes = scimRoutes();
      expect(routes.length).toBeGreaterThan(20);
      // The random PATCH test before may have renamed the user: compare with its state now.
      const before = await visibleState();
      const bodyRoutes = routes.filter((route) => route.path === '/scim/v2/Users' || route.path === '/scim/v2/Users/:id');
      for (const { name, request: hostile } of everyHostileCase(routes, bodyRoutes)) {
        expectWellFormedAnswer(await send(app, hostile, credentials()), secrets(), name);
      }
      // Nothing above could have changed the user it never addressed.
      expect(await visibleState()).toEqual(before);
    });

    it('random mixes of the same, authenticated and not', async () => {
      await fc.assert(
        fc.asyncProperty(hostileRequests(scimRoutes()), async (hostile) => {
          expectWellFormedAnswer(await send(app, hostile, credentials()), secrets(), `${hostile.method} ${hostile.route.path}`);
        }),
        { numRuns: ROUTE_RUNS, seed: FUZZ_SEED },
      );
    });
  });

  it('random Authorization headers and paths: 401/404/405 in the SCIM shape, never a 5xx', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.string({ maxLength: 60 }),
          fc.constantFrom('Basic', 'Basic ', 'Basic ====', 'basic Og==', 'Bearer x', 'Basic ' + Buffer.from(':').toString('base64')),
        ),
        fc.constantFrom(
          '/Users',
          `/Users/${'9'.repeat(40)}`,
          '/Users/%E0%A4%A',
          '/Users/..%2f..%2fetc',
          '/Schemas/x',
          '/ResourceTypes/Group',
          '/nope',
        ),
        fc.constantFrom<'get' | 'post' | 'put' | 'patch' | 'delete'>('get', 'post', 'put', 'patch', 'delete'),
        async (authorization, path, method) => {
          const response = await request(app.getHttpServer())
            [method](`/scim/v2${path}`)
            .set('Authorization', authorization.replace(/[\r\n]/g, ''));
          expectScimError(response);
        },
      ),
      { numRuns: RUNS },
    );
  });
});
