import { INestApplication } from '@nestjs/common';
import request from 'supertest';
import { signRequest } from '../../src/auth/request-signature';
import { OrganizationsService } from '../../src/organizations/organizations.service';

export type ApiKeyCredentials = { key: string; secret: string; id: string };
export type BootstrappedOrganization = {
  organizationId: string;
  adminId: string;
  apiKey: ApiKeyCredentials;
};

let sequence = 0;

/** A fresh organization with its administrator and first API key, as the bootstrap command makes them. */
export async function bootstrapOrganization(app: INestApplication, name = 'org'): Promise<BootstrappedOrganization> {
  sequence += 1;
  const slug = `${name}-${sequence}-${Date.now().toString(36)}`;
  const result = await app.get(OrganizationsService).bootstrap({
    orgName: `Org ${slug}`,
    hostname: `${slug}.example.com`,
    adminEmail: `admin@${slug}.example.com`,
    adminGivenName: 'Ada',
    adminFamilyName: 'Admin',
  });
  return {
    organizationId: result.organization.id,
    adminId: result.admin.id,
    apiKey: { key: result.apiKey.apiKey.key, secret: result.apiKey.secret, id: result.apiKey.apiKey.id },
  };
}

export type SignOptions = { timestamp?: string; signature?: string; omit?: ('key' | 'timestamp' | 'signature')[] };

export function isoNow(offsetMs = 0): string {
  return new Date(Date.now() + offsetMs).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** A supertest request signed as the admin API requires. */
export function adminRequest(
  app: INestApplication,
  method: 'get' | 'post' | 'delete',
  pathWithQuery: string,
  credentials: ApiKeyCredentials,
  body?: object,
  options: SignOptions = {},
): request.Test {
  const raw = body === undefined ? '' : JSON.stringify(body);
  const timestamp = options.timestamp ?? isoNow();
  const signature = options.signature ?? signRequest(credentials.secret, credentials.key, pathWithQuery, timestamp, raw);
  let test = request(app.getHttpServer())[method](pathWithQuery);
  if (!options.omit?.includes('key')) {
    test = test.set('ss-api-key', credentials.key);
  }
  if (!options.omit?.includes('timestamp')) {
    test = test.set('ss-request-timestamp', timestamp);
  }
  if (!options.omit?.includes('signature')) {
    test = test.set('ss-request-signature', signature);
  }
  if (raw) {
    test = test.set('Content-Type', 'application/json').send(raw);
  }
  return test;
}

/** What an admin request signature covers; `body` is the raw body, or an upload's content digest. */
export type SignedRequest = { method: string; pathWithQuery: string; body: Buffer | string };

/** The signature headers of one request, for clients that send it without supertest (raw sockets, exact bytes). */
export function adminSignatureHeaders(credentials: ApiKeyCredentials, { pathWithQuery, body }: SignedRequest): Record<string, string> {
  const timestamp = isoNow();
  return {
    'ss-api-key': credentials.key,
    'ss-request-timestamp': timestamp,
    'ss-request-signature': signRequest(credentials.secret, credentials.key, pathWithQuery, timestamp, body),
  };
}

export type ScimCredentials = { username: string; password: string; scimBaseUrl: string };

export async function issueScimCredentials(app: INestApplication, apiKey: ApiKeyCredentials): Promise<ScimCredentials> {
  const response = await adminRequest(app, 'post', `/admin/v1/api-keys/${apiKey.id}/scim-credentials`, apiKey).expect(201);
  return response.body as ScimCredentials;
}

export function scimGet(app: INestApplication, path: string, credentials: { username: string; password: string }): request.Test {
  return request(app.getHttpServer()).get(path).auth(credentials.username, credentials.password);
}
