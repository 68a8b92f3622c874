import { INestApplication } from '@nestjs/common';
import fc from 'fast-check';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FUZZ_SEED } from '../../support/hostile-requests';
import { decodeResponse, encodeResponse, TestIdentityProvider } from '../../support/saml-idp';
import { failureReason, postAcs, provision, SsoOrganization, ssoOrganization, trustIdp } from '../../support/sso';
import { createTestApp } from '../../support/test-app';

const RUNS = Number(process.env.FUZZ_RUNS ?? 100);
const INTERNALS = /QueryFailedError|SQLITE_|\bER_[A-Z_]{3,}|node_modules|\bat [\w.<>]+ \(|Error:/;

/** Whatever is posted to the ACS or sent to the login route: never a 5xx, a refusal is the small page with a reason. */
describe('property-based: random input never breaks single sign-on', () => {
  let app: INestApplication;
  let idp: TestIdentityProvider;
  let org: SsoOrganization;
  let real: string;

  beforeAll(async () => {
    app = await createTestApp();
    idp = await TestIdentityProvider.create();
    org = await ssoOrganization(app, 'fuzz');
    await trustIdp(app, org, idp);
    await provision(app, org, 'fuzz@fuzz.test');
    real = decodeResponse(await idp.response(org.sp, { nameId: 'fuzz@fuzz.test', sign: 'both' }));
  });

  afterAll(async () => {
    await app?.close();
  });

  function expectHandled(response: request.Response, label: string): void {
    expect(response.status, `${label}: ${response.text.slice(0, 200)}`).toBeLessThan(500);
    expect(response.text, label).not.toMatch(INTERNALS);
    if (response.status >= 400 && String(response.headers['content-type']).startsWith('text/html')) {
      expect(failureReason(response), label).not.toBeNull();
    }
  }

  it('random SAMLResponse values (junk, random bytes, a real signed response with one byte changed) and RelayStates', async () => {
    const samlResponse = fc.oneof(
      fc.string({ maxLength: 200 }),
      fc.uint8Array({ maxLength: 2000 }).map((bytes) => Buffer.from(bytes).toString('base64')),
      fc.tuple(fc.nat(), fc.integer({ min: 0, max: 127 })).map(([at, code]) => {
        const index = at % real.length;
        return encodeResponse(real.slice(0, index) + String.fromCharCode(code) + real.slice(index + 1));
      }),
    );
    await fc.assert(
      fc.asyncProperty(samlResponse, fc.option(fc.string({ maxLength: 100 })), async (value, relayState) => {
        const response = await postAcs(app, org.hostname, value, relayState ?? undefined);
        expectHandled(response, 'POST /sso/acs');
        if (response.status === 303) {
          expect(response.headers.location).toBe('/');
        }
      }),
      { numRuns: RUNS, seed: FUZZ_SEED },
    );
  });

  it('random forms and bodies posted to the ACS', async () => {
    const body = fc.oneof(
      fc.string({ maxLength: 300 }),
      fc.uint8Array({ maxLength: 300 }).map((bytes) => Buffer.from(bytes)),
    );
    await fc.assert(
      fc.asyncProperty(
        body,
        fc.constantFrom('application/x-www-form-urlencoded', 'application/json', 'text/plain'),
        async (payload, type) => {
          const response = await request(app.getHttpServer())
            .post('/sso/acs')
            .set('Host', org.hostname)
            .set('Content-Type', type)
            .send(payload);
          expectHandled(response, `POST /sso/acs (${type})`);
          expect(response.status).not.toBe(303);
        },
      ),
      { numRuns: RUNS, seed: FUZZ_SEED },
    );
  });

  it('random returnTo values: a redirect only to the identity provider, never elsewhere', async () => {
    await fc.assert(
      fc.asyncProperty(fc.string({ maxLength: 120 }), async (returnTo) => {
        const response = await request(app.getHttpServer())
          .get(`/sso/login?returnTo=${encodeURIComponent(returnTo)}`)
          .set('Host', org.hostname);
        expectHandled(response, 'GET /sso/login');
        if (response.status === 302) {
          expect(String(response.headers.location).startsWith(`${idp.ssoUrl}?SAMLRequest=`)).toBe(true);
        }
      }),
      { numRuns: RUNS, seed: FUZZ_SEED },
    );
  });
});
