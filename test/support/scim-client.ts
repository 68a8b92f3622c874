import { INestApplication } from '@nestjs/common';
import request from 'supertest';
import { bootstrapOrganization, BootstrappedOrganization, issueScimCredentials, ScimCredentials } from './admin-api';
import { rememberSecret } from './secret-ledger';

export const CORE_USER = 'urn:ietf:params:scim:schemas:core:2.0:User';
export const LIST_RESPONSE = 'urn:ietf:params:scim:api:messages:2.0:ListResponse';
export const ERROR = 'urn:ietf:params:scim:api:messages:2.0:Error';
export const PATCH_OP = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';

export type ScimTenant = BootstrappedOrganization & { credentials: ScimCredentials; authorization: string };

/** An organization whose SCIM credential is ready, as after the admin set Okta up. */
export async function scimTenant(app: INestApplication, name: string): Promise<ScimTenant> {
  const org = await bootstrapOrganization(app, name);
  const credentials = await issueScimCredentials(app, org.apiKey);
  rememberSecret(org.apiKey.secret, credentials.password);
  return {
    ...org,
    credentials,
    authorization: `Basic ${Buffer.from(`${credentials.username}:${credentials.password}`).toString('base64')}`,
  };
}

/** Requests with the headers Okta's SCIM client sends. */
export function okta(app: INestApplication, tenant: ScimTenant) {
  const server = app.getHttpServer();
  const withHeaders = (test: request.Test): request.Test =>
    test
      .set('Authorization', tenant.authorization)
      .set('Accept', 'application/scim+json')
      .set('Accept-Charset', 'utf-8')
      .set('User-Agent', 'Okta SCIM Client 1.0.0');
  const withBody = (test: request.Test, body: unknown, contentType = 'application/scim+json; charset=utf-8'): request.Test =>
    // Buffers are sent as they are (superagent would serialize them as JSON).
    withHeaders(test)
      .set('Content-Type', contentType)
      .serialize((data: unknown) => data as string)
      .send(typeof body === 'string' || Buffer.isBuffer(body) ? body : JSON.stringify(body));
  return {
    get: (path: string) => withHeaders(request(server).get(`/scim/v2${path}`)),
    post: (path: string, body: unknown, contentType?: string) => withBody(request(server).post(`/scim/v2${path}`), body, contentType),
    put: (path: string, body: unknown, contentType?: string) => withBody(request(server).put(`/scim/v2${path}`), body, contentType),
    patch: (path: string, body: unknown, contentType?: string) => withBody(request(server).patch(`/scim/v2${path}`), body, contentType),
    delete: (path: string) => withHeaders(request(server).delete(`/scim/v2${path}`)),
  };
}

export function oktaUser(
  userName: string,
  givenName = 'Test',
  familyName = 'User',
  extra: Record<string, unknown> = {},
): Record<string, unknown> {
  return {
    schemas: [CORE_USER],
    userName,
    name: { givenName, familyName },
    emails: [{ primary: true, value: userName.toLowerCase(), type: 'work' }],
    displayName: `${givenName} ${familyName}`,
    locale: 'en-US',
    externalId: `00u${Math.random().toString(36).slice(2, 12)}`,
    groups: [],
    password: '1mz050nq',
    active: true,
    ...extra,
  };
}

export function patchOp(...operations: object[]): Record<string, unknown> {
  return { schemas: [PATCH_OP], Operations: operations };
}
