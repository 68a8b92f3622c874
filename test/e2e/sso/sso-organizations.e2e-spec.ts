import { INestApplication } from '@nestjs/common';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminRequest } from '../../support/admin-api';
import { TestIdentityProvider } from '../../support/saml-idp';
import {
  auditEvents,
  expectRefused,
  getSession,
  postAcs,
  provision,
  sessionCookieOf,
  SsoOrganization,
  ssoOrganization,
  startSignIn,
  trustIdp,
} from '../../support/sso';
import { createTestApp } from '../../support/test-app';

/** Sign-in is bound to the organization whose host it happens on, and follows its settings. */
describe('single sign-on per organization', () => {
  let app: INestApplication;
  let idp: TestIdentityProvider;
  let acme: SsoOrganization;
  let globex: SsoOrganization;

  beforeAll(async () => {
    app = await createTestApp();
    idp = await TestIdentityProvider.create();
    acme = await ssoOrganization(app, 'acme');
    globex = await ssoOrganization(app, 'globex');
    // The worst case: both organizations trust one identity provider with one certificate.
    await trustIdp(app, acme, idp);
    await trustIdp(app, globex, idp, false);
    await provision(app, acme, 'ann@shared.test');
    await provision(app, globex, 'ann@shared.test');
  });

  afterAll(async () => {
    await app?.close();
  });

  it('gives each organization its own service-provider URLs, from ORGANIZATION_URL_TEMPLATE', () => {
    expect(acme.sp).toMatchObject({
      entityId: `http://${acme.hostname}:3000/sso/metadata`,
      acsUrl: `http://${acme.hostname}:3000/sso/acs`,
      metadataUrl: `http://${acme.hostname}:3000/sso/metadata`,
      loginUrl: `http://${acme.hostname}:3000/sso/login`,
    });
    expect(globex.sp.entityId).not.toBe(acme.sp.entityId);
  });

  it('refuses a response signed for one organization posted to another (same IdP, same certificate, same userName)', async () => {
    const forAcme = await idp.response(acme.sp, { nameId: 'ann@shared.test' });
    expectRefused(await postAcs(app, globex.hostname, forAcme), 401, 'audience_mismatch');
    // The response itself was fine where it belonged.
    expect((await postAcs(app, acme.hostname, forAcme)).status).toBe(303);
  });

  it('refuses an answer to a request another organization sent', async () => {
    const started = await startSignIn(app, acme, idp);
    const answer = await idp.response(globex.sp, { nameId: 'ann@shared.test', inResponseTo: started.id });
    expectRefused(await postAcs(app, globex.hostname, answer, started.relayState!), 401, 'in_response_to_invalid');
  });

  it('refuses IdP-initiated sign-in where it is not allowed, and still takes SP-initiated there', async () => {
    expectRefused(
      await postAcs(app, globex.hostname, await idp.response(globex.sp, { nameId: 'ann@shared.test' })),
      403,
      'idp_initiated_disabled',
    );
    const started = await startSignIn(app, globex, idp);
    expect(
      (
        await postAcs(
          app,
          globex.hostname,
          await idp.response(globex.sp, { nameId: 'ann@shared.test', inResponseTo: started.id }),
          started.relayState!,
        )
      ).status,
    ).toBe(303);
  });

  it("does not accept a session on another organization's host", async () => {
    const cookie = sessionCookieOf(await postAcs(app, acme.hostname, await idp.response(acme.sp, { nameId: 'ann@shared.test' })));
    await getSession(app, acme.hostname, cookie).expect(200);
    await getSession(app, globex.hostname, cookie).expect(401);
  });

  it('answers 404 for an unknown host on every single sign-on route, and never sends users to an IdP', async () => {
    for (const path of ['/sso/metadata', '/sso/login']) {
      const response = await request(app.getHttpServer()).get(path).set('Host', 'nobody.localhost').expect(404);
      expect(response.headers.location).toBeUndefined();
    }
    await postAcs(app, 'nobody.localhost', await idp.response(acme.sp, { nameId: 'ann@shared.test' })).expect(404);
  });

  it('resolves the host without regard to case or a port', async () => {
    await request(app.getHttpServer()).get('/sso/metadata').set('Host', `${acme.hostname.toUpperCase()}:3000`).expect(200);
  });

  it('refuses sign-in where SSO is not configured (no redirect, no session)', async () => {
    const bare = await ssoOrganization(app, 'bare');
    await provision(app, bare, 'ann@shared.test');
    expectRefused(await request(app.getHttpServer()).get('/sso/login').set('Host', bare.hostname), 403, 'sso_not_configured');
    expectRefused(await postAcs(app, bare.hostname, await idp.response(bare.sp, { nameId: 'ann@shared.test' })), 403, 'sso_not_configured');
    expect((await auditEvents(app, bare, 1))[0]).toMatchObject({ type: 'sso.failed', detail: 'sso_not_configured' });
  });

  describe('SP-initiated: where to go back to', () => {
    it('returns to the stored relative path, and to / when the RelayState is not the one issued', async () => {
      const started = await startSignIn(app, acme, idp, '/inbox?tab=2#top');
      expect(started.relayState).toMatch(/^[A-Za-z0-9_-]{32}$/);
      expect(started.relayState).not.toContain('inbox');
      const back = await postAcs(
        app,
        acme.hostname,
        await idp.response(acme.sp, { nameId: 'ann@shared.test', inResponseTo: started.id }),
        started.relayState!,
      );
      expect(back.headers.location).toBe('/inbox?tab=2#top');
      const other = await startSignIn(app, acme, idp, '/elsewhere');
      const mismatched = await postAcs(
        app,
        acme.hostname,
        await idp.response(acme.sp, { nameId: 'ann@shared.test', inResponseTo: other.id }),
        'https://evil.example/',
      );
      expect(mismatched.status).toBe(303);
      expect(mismatched.headers.location).toBe('/');
    });

    it('ignores an IdP-initiated RelayState (never a redirect target)', async () => {
      const response = await postAcs(
        app,
        acme.hostname,
        await idp.response(acme.sp, { nameId: 'ann@shared.test' }),
        'https://evil.example/',
      );
      expect(response.headers.location).toBe('/');
    });

    it('refuses a returnTo that is not a path on this site: never an open redirect', async () => {
      for (const returnTo of [
        'https://evil.example/',
        '//evil.example/x',
        '/\\evil.example',
        'evil',
        '/ok\r\nSet-Cookie: x=1',
        `/${'a'.repeat(1100)}`,
      ]) {
        const response = await request(app.getHttpServer())
          .get(`/sso/login?returnTo=${encodeURIComponent(returnTo)}`)
          .set('Host', acme.hostname);
        expectRefused(response, 400, 'invalid_return_to');
      }
    });
  });

  it('serves SP metadata: entity id, ACS (HTTP-POST), NameID email, signed requests with the certificate the admin API shows', async () => {
    const metadata = await request(app.getHttpServer()).get('/sso/metadata').set('Host', acme.hostname).expect(200);
    expect(metadata.headers['content-type']).toContain('application/samlmetadata+xml');
    expect(metadata.text).toContain(`entityID="${acme.sp.entityId}"`);
    expect(metadata.text).toContain('AuthnRequestsSigned="true"');
    expect(metadata.text).toContain(`Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST" Location="${acme.sp.acsUrl}"`);
    expect(metadata.text).toContain('<NameIDFormat>urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress</NameIDFormat>');
    const certificate = acme.sp.signingCertificate.replace(/-----[A-Z ]+-----|\s/g, '');
    expect(metadata.text.replace(/\s/g, '')).toContain(certificate);
    const again = (await adminRequest(app, 'get', '/admin/v1/organization/sso', acme.apiKey).expect(200)).body as {
      sp: { signingCertificate: string };
    };
    expect(again.sp.signingCertificate).toBe(acme.sp.signingCertificate);
  });
});
