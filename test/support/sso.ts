import { INestApplication } from '@nestjs/common';
import request from 'supertest';
import { OrganizationsService } from '../../src/organizations/organizations.service';
import { adminRequest, ApiKeyCredentials, issueScimCredentials, ScimCredentials } from './admin-api';
import { TestIdentityProvider } from './saml-idp';
import { oktaUser } from './scim-client';
import { rememberSecret } from './secret-ledger';

export type SsoOrganization = {
  organizationId: string;
  hostname: string;
  apiKey: ApiKeyCredentials;
  scim: ScimCredentials;
  sp: { entityId: string; acsUrl: string; metadataUrl: string; loginUrl: string; signingCertificate: string };
};

let sequence = 0;

/** An organization reached at `<name>.localhost`, with its SCIM credential, as after the Okta set-up. */
export async function ssoOrganization(app: INestApplication, name: string): Promise<SsoOrganization> {
  sequence += 1;
  const hostname = `${name}-${sequence}-${Date.now().toString(36)}.localhost`;
  const result = await app.get(OrganizationsService).bootstrap({
    orgName: `Org ${name}`,
    hostname,
    adminEmail: `admin@${hostname}`,
    adminGivenName: 'Ada',
    adminFamilyName: 'Admin',
  });
  const apiKey = { key: result.apiKey.apiKey.key, secret: result.apiKey.secret, id: result.apiKey.apiKey.id };
  const scim = await issueScimCredentials(app, apiKey);
  rememberSecret(apiKey.secret, scim.password);
  const sp = (await adminRequest(app, 'get', '/admin/v1/organization/sso', apiKey).expect(200)).body as SsoOrganization['sp'] & {
    sp: SsoOrganization['sp'];
  };
  return { organizationId: result.organization.id, hostname, apiKey, scim, sp: sp.sp };
}

/** Configures the organization to trust `idp` (by fields; metadata has its own tests). */
export async function trustIdp(
  app: INestApplication,
  org: SsoOrganization,
  idp: TestIdentityProvider,
  allowIdpInitiated = true,
): Promise<void> {
  await adminRequest(app, 'put', '/admin/v1/organization/sso', org.apiKey, {
    idpEntityId: idp.entityId,
    idpSsoUrl: idp.ssoUrl,
    idpCertificate: idp.certificatePem,
    allowIdpInitiated,
  }).expect(200);
}

/** Provisions a user over SCIM, as Okta does; returns its id. */
export async function provision(app: INestApplication, org: SsoOrganization, userName: string): Promise<string> {
  const response = await request(app.getHttpServer())
    .post('/scim/v2/Users')
    .auth(org.scim.username, org.scim.password)
    .set('Content-Type', 'application/scim+json')
    .send(JSON.stringify(oktaUser(userName, 'Grace', 'Hopper')))
    .expect(201);
  return (response.body as { id: string }).id;
}

export async function setActive(app: INestApplication, org: SsoOrganization, userId: string, active: boolean): Promise<void> {
  await request(app.getHttpServer())
    .patch(`/scim/v2/Users/${userId}`)
    .auth(org.scim.username, org.scim.password)
    .set('Content-Type', 'application/scim+json')
    .send(
      JSON.stringify({ schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'], Operations: [{ op: 'replace', value: { active } }] }),
    )
    .expect(200);
}

/** POSTs a form to the ACS of the organization at `hostname`, as the IdP's auto-submitting page does. */
export function postAcs(app: INestApplication, hostname: string, samlResponse: string, relayState?: string): request.Test {
  const form = new URLSearchParams({ SAMLResponse: samlResponse, ...(relayState === undefined ? {} : { RelayState: relayState }) });
  return request(app.getHttpServer()).post('/sso/acs').set('Host', hostname).type('form').send(form.toString());
}

/** The session cookie (name=value) a response set. */
export function sessionCookieOf(response: request.Response): string {
  const header = response.headers['set-cookie'] as unknown as string[] | undefined;
  const cookie = header?.find((value) => /^(__Host-)?ss_session=/.test(value));
  if (!cookie) {
    throw new Error(`no session cookie in ${JSON.stringify(response.headers)}`);
  }
  const pair = cookie.split(';', 1)[0];
  rememberSecret(pair.split('=', 2)[1]);
  return pair;
}

export function getSession(app: INestApplication, hostname: string, cookie: string): request.Test {
  return request(app.getHttpServer()).get('/session').set('Host', hostname).set('Cookie', cookie);
}

/** The stable reason a refused sign-in page names. */
export function failureReason(response: request.Response): string | null {
  return /Reason: <code>([a-z_]+)<\/code>/.exec(response.text)?.[1] ?? null;
}

/** SP-initiated sign-in up to the IdP: the AuthnRequest the IdP received (signature verified) and the RelayState. */
export async function startSignIn(app: INestApplication, org: SsoOrganization, idp: TestIdentityProvider, returnTo?: string) {
  const path = returnTo === undefined ? '/sso/login' : `/sso/login?returnTo=${encodeURIComponent(returnTo)}`;
  const redirect = await request(app.getHttpServer()).get(path).set('Host', org.hostname).expect(302);
  const metadata = await request(app.getHttpServer()).get('/sso/metadata').set('Host', org.hostname).expect(200);
  const location = redirect.headers.location;
  return { location, ...(await idp.receiveAuthnRequest(location, metadata.text)) };
}

export type AuditItem = {
  type: string;
  detail: string | null;
  actor: { userId: string | null };
  target: { type: string | null; id: string | null };
};

/** The organization's newest audit events. */
export async function auditEvents(app: INestApplication, org: SsoOrganization, limit = 50): Promise<AuditItem[]> {
  const response = await adminRequest(app, 'get', `/admin/v1/audit-events?limit=${limit}`, org.apiKey).expect(200);
  return (response.body as { items: AuditItem[] }).items;
}

/** Expects a refused sign-in page: status, reason code, nothing more of the message, and no cookie. */
export function expectRefused(response: request.Response, status: number, reason: string): void {
  if (response.status !== status || failureReason(response) !== reason) {
    throw new Error(`expected ${status} ${reason}, got ${response.status} ${failureReason(response) ?? response.text.slice(0, 200)}`);
  }
  if (!String(response.headers['content-type']).startsWith('text/html') || response.headers['set-cookie'] !== undefined) {
    throw new Error(
      `a refused sign-in answered ${String(response.headers['content-type'])} with cookies ${JSON.stringify(response.headers['set-cookie'])}`,
    );
  }
}
