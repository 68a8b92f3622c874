import { INestApplication } from '@nestjs/common';
import request from 'supertest';
import { newNonce, sha256Hex, SIGNATURE_HEADERS, signRequest } from '../../src/auth/request-signature';
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

export type SignOptions = {
  /** What the signature covers instead of the raw body's SHA-256 (a streamed upload's ss-content-sha256). */
  bodySha256?: string;
  timestamp?: string;
  nonce?: string;
  signature?: string;
  omit?: (keyof typeof SIGNATURE_HEADERS)[];
};

export type HttpMethod = 'get' | 'post' | 'put' | 'patch' | 'delete';

export function isoNow(offsetMs = 0): string {
  return new Date(Date.now() + offsetMs).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** The signature headers of one request (scheme v2), a fresh nonce unless one is given. */
export function signedHeaders(
  credentials: Pick<ApiKeyCredentials, 'key' | 'secret'>,
  method: string,
  pathWithQuery: string,
  rawBody: string | Buffer = '',
  options: SignOptions = {},
): Record<string, string> {
  const timestamp = options.timestamp ?? isoNow();
  const nonce = options.nonce ?? newNonce();
  const signature =
    options.signature ??
    signRequest(credentials.secret, {
      key: credentials.key,
      method,
      pathWithQuery,
      timestamp,
      nonce,
      bodySha256: options.bodySha256 ?? sha256Hex(rawBody),
    });
  const headers: Record<string, string> = {
    [SIGNATURE_HEADERS.key]: credentials.key,
    [SIGNATURE_HEADERS.timestamp]: timestamp,
    [SIGNATURE_HEADERS.nonce]: nonce,
    [SIGNATURE_HEADERS.signature]: signature,
  };
  for (const omitted of options.omit ?? []) {
    delete headers[SIGNATURE_HEADERS[omitted]];
  }
  return headers;
}

/** Sends `method path` with the given headers and raw JSON body (none when empty). */
export function sendAdmin(
  app: INestApplication,
  method: HttpMethod,
  pathWithQuery: string,
  headers: Record<string, string>,
  raw = '',
): request.Test {
  let test = request(app.getHttpServer())[method](pathWithQuery).set(headers);
  if (raw) {
    test = test.set('Content-Type', 'application/json').send(raw);
  }
  return test;
}

/** A supertest request signed as the admin API requires. */
export function adminRequest(
  app: INestApplication,
  method: HttpMethod,
  pathWithQuery: string,
  credentials: ApiKeyCredentials,
  body?: object,
  options: SignOptions = {},
): request.Test {
  const raw = body === undefined ? '' : JSON.stringify(body);
  return sendAdmin(app, method, pathWithQuery, signedHeaders(credentials, method.toUpperCase(), pathWithQuery, raw, options), raw);
}

/** What an admin request signature covers: the raw body, or a streamed upload's content digest (ss-content-sha256). */
export type SignedRequest = { method: string; pathWithQuery: string; body?: Buffer | string; contentSha256?: string };

/** The signature headers of one request, for clients that send it without supertest (raw sockets, exact bytes). */
export function adminSignatureHeaders(
  credentials: ApiKeyCredentials,
  { method, pathWithQuery, body = '', contentSha256 }: SignedRequest,
): Record<string, string> {
  return signedHeaders(credentials, method, pathWithQuery, body, contentSha256 === undefined ? {} : { bodySha256: contentSha256 });
}

export type ScimCredentials = { username: string; password: string; scimBaseUrl: string };

export async function issueScimCredentials(app: INestApplication, apiKey: ApiKeyCredentials): Promise<ScimCredentials> {
  const response = await adminRequest(app, 'post', `/admin/v1/api-keys/${apiKey.id}/scim-credentials`, apiKey).expect(201);
  return response.body as ScimCredentials;
}

export function scimGet(app: INestApplication, path: string, credentials: { username: string; password: string }): request.Test {
  return request(app.getHttpServer()).get(path).auth(credentials.username, credentials.password);
}

/**
 * A purge policy with the mass-deactivation breaker off (the defaults otherwise): for tests whose
 * load deactivates many users in seconds and that are about something else than the breaker.
 */
export const BREAKER_OFF_POLICY = {
  graceSeconds: 0,
  massDeactivation: { enabled: false, threshold: 25, windowSeconds: 600 },
} as const;
