import { INestApplication } from '@nestjs/common';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestIdentityProvider } from '../../support/saml-idp';
import {
  expectRefused,
  getSession,
  postAcs,
  provision,
  sessionCookieOf,
  SsoOrganization,
  ssoOrganization,
  trustIdp,
} from '../../support/sso';
import { createTestApp } from '../../support/test-app';

const SETTINGS = ['ORGANIZATION_URL_TEMPLATE', 'SAML_ALLOW_SHA1', 'SAML_CLOCK_SKEW_SECONDS', 'SESSION_ABSOLUTE_TIMEOUT_SECONDS'] as const;

/** The SSO settings, each on an app built with it. */
describe('single sign-on settings', () => {
  let app: INestApplication;
  let idp: TestIdentityProvider;
  let org: SsoOrganization;

  beforeAll(async () => {
    process.env.ORGANIZATION_URL_TEMPLATE = 'https://{hostname}';
    process.env.SAML_ALLOW_SHA1 = 'true';
    process.env.SAML_CLOCK_SKEW_SECONDS = '0';
    process.env.SESSION_ABSOLUTE_TIMEOUT_SECONDS = '3600';
    app = await createTestApp();
    idp = await TestIdentityProvider.create();
    org = await ssoOrganization(app, 'settings');
    await trustIdp(app, org, idp);
    await provision(app, org, 'sam@settings.test');
  });

  afterAll(async () => {
    for (const name of SETTINGS) {
      delete process.env[name];
    }
    await app?.close();
  });

  it('ORGANIZATION_URL_TEMPLATE: exact https URLs, and a Secure __Host- cookie', async () => {
    expect(org.sp).toMatchObject({
      entityId: `https://${org.hostname}/sso/metadata`,
      acsUrl: `https://${org.hostname}/sso/acs`,
      loginUrl: `https://${org.hostname}/sso/login`,
    });
    const response = await postAcs(app, org.hostname, await idp.response(org.sp, { nameId: 'sam@settings.test' }));
    expect(response.status).toBe(303);
    const setCookie = (response.headers['set-cookie'] as unknown as string[])[0];
    expect(setCookie).toMatch(/^__Host-ss_session=[A-Za-z0-9_-]{43}; /);
    expect(setCookie).toContain('Secure');
    expect(setCookie).toContain('Max-Age=3600');
    await getSession(app, org.hostname, sessionCookieOf(response)).expect(200);
  });

  it('SAML_ALLOW_SHA1=true accepts RSA-SHA1 for an identity provider that cannot do better', async () => {
    expect((await postAcs(app, org.hostname, await idp.response(org.sp, { nameId: 'sam@settings.test', algorithm: 'sha1' }))).status).toBe(
      303,
    );
  });

  it('SAML_CLOCK_SKEW_SECONDS=0 refuses an assertion a few seconds past NotOnOrAfter', async () => {
    const response = await idp.response(org.sp, {
      nameId: 'sam@settings.test',
      notBefore: new Date(Date.now() - 60_000),
      notOnOrAfter: new Date(Date.now() - 5000),
    });
    expectRefused(await postAcs(app, org.hostname, response), 401, 'expired');
  });
});
