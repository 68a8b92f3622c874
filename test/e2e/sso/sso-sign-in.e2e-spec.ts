import { INestApplication } from '@nestjs/common';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestIdentityProvider } from '../../support/saml-idp';
import {
  failureReason,
  getSession,
  postAcs,
  provision,
  sessionCookieOf,
  setActive,
  SsoOrganization,
  ssoOrganization,
  startSignIn,
  trustIdp,
} from '../../support/sso';
import { createTestApp } from '../../support/test-app';

describe('single sign-on: a user SCIM provisioned signs in', () => {
  let app: INestApplication;
  let idp: TestIdentityProvider;
  let org: SsoOrganization;

  beforeAll(async () => {
    app = await createTestApp();
    idp = await TestIdentityProvider.create();
    org = await ssoOrganization(app, 'acme');
    await trustIdp(app, org, idp);
  });

  afterAll(async () => {
    await app?.close();
  });

  it('SP-initiated and IdP-initiated; GET /session shows them; after PATCH active:false the session is refused and a new sign-in is deactivated', async () => {
    const userId = await provision(app, org, 'grace@acme.test');
    const started = await startSignIn(app, org, idp, '/files/recent?view=list');
    expect(started.location.startsWith(`${idp.ssoUrl}?SAMLRequest=`)).toBe(true);
    expect(started.issuer).toBe(org.sp.entityId);
    expect(started.acsUrl).toBe(org.sp.acsUrl);
    const spInitiated = await postAcs(
      app,
      org.hostname,
      await idp.response(org.sp, { nameId: 'Grace@Acme.test', inResponseTo: started.id }),
      started.relayState ?? undefined,
    );
    expect(spInitiated.status, spInitiated.text).toBe(303);
    expect(spInitiated.headers.location).toBe('/files/recent?view=list');
    const cookie = sessionCookieOf(spInitiated);
    const session = await getSession(app, org.hostname, cookie).expect(200);
    expect(session.body).toMatchObject({
      user: { id: userId, userName: 'grace@acme.test', givenName: 'Grace', familyName: 'Hopper', role: 'user' },
      organization: { id: org.organizationId, hostname: org.hostname },
    });

    const idpInitiated = await postAcs(app, org.hostname, await idp.response(org.sp, { nameId: 'grace@acme.test' }));
    expect(idpInitiated.status, idpInitiated.text).toBe(303);
    expect(idpInitiated.headers.location).toBe('/');
    const second = sessionCookieOf(idpInitiated);
    await getSession(app, org.hostname, second).expect(200);

    await setActive(app, org, userId, false);
    await getSession(app, org.hostname, cookie).expect(401);
    await getSession(app, org.hostname, second).expect(401);
    const refused = await postAcs(app, org.hostname, await idp.response(org.sp, { nameId: 'grace@acme.test' }));
    expect(refused.status).toBe(403);
    expect(failureReason(refused)).toBe('deactivated');
  });

  it('answers 404 on a host that names no organization', async () => {
    await request(app.getHttpServer()).get('/sso/metadata').set('Host', 'nobody.localhost').expect(404);
  });
});
