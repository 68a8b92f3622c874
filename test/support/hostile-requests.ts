import { createHash } from 'node:crypto';
import { Agent, request as httpRequest } from 'node:http';
import { AddressInfo } from 'node:net';
import { INestApplication } from '@nestjs/common';
import fc from 'fast-check';
import { expect } from 'vitest';
import { adminSignatureHeaders, ApiKeyCredentials } from './admin-api';
import { Route } from './app-routes';

/**
 * Requests a hostile or broken client sends to any route: parameters that are long, repeated or
 * oddly encoded, bodies that are deep, not UTF-8 or in another charset, with and without
 * credentials. Sent over node:http, so the path and body bytes are exactly these (supertest
 * would normalise the URL and serialise Buffers).
 */

/** Path segment and query values, percent-encoded as they travel. */
export const HOSTILE_VALUES: Readonly<Record<string, string>> = {
  'over 100 characters': 'a'.repeat(101),
  '8,000 characters': '7'.repeat(8000),
  NUL: '%00',
  'NUL inside': 'a%00b',
  'invalid percent-encoding': '%ZZ',
  'lone percent sign': '%',
  'truncated UTF-8 sequence': '%E0%A4%A',
  'overlong UTF-8 for "/"': '%C0%AF',
  'UTF-8-encoded lone surrogate': '%ED%A0%80',
  'byte 0xFF': '%FF',
  'beyond U+10FFFF': '%F4%90%80%80',
  'raw non-UTF-8 bytes': '\u00ff\u00fe',
  'encoded path traversal': '..%2f..%2fetc%2fpasswd',
  'prototype key': '__proto__',
  emoji: '%F0%9F%98%80',
  'SQL and quotes': "'%20OR%201%3D1%20--%22",
};

const JSON_TYPES = ['application/json', 'application/scim+json'];

export type HostileBody = { contentType: string | null; body: Buffer };

const deep = (depth: number, open: string, close: string): string => `${open.repeat(depth)}1${close.repeat(depth)}`;

export const HOSTILE_BODIES: Readonly<Record<string, HostileBody>> = {
  'arrays 20,000 deep': { contentType: 'application/scim+json', body: Buffer.from(deep(20_000, '[', ']')) },
  'objects 5,000 deep': { contentType: 'application/json', body: Buffer.from(deep(5000, '{"a":', '}')) },
  'PATCH value nested 3,000 deep under the core schema': {
    contentType: 'application/scim+json',
    body: Buffer.from(
      `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"replace","value":${deep(3000, '{"urn:ietf:params:scim:schemas:core:2.0:User":', '}')}}]}`,
    ),
  },
  'invalid UTF-8': {
    contentType: 'application/json',
    body: Buffer.concat([Buffer.from('{"userName":"'), Buffer.from([0xc3, 0x28, 0xff]), Buffer.from('"}')]),
  },
  'Latin-1 declared': { contentType: 'application/scim+json; charset=ISO-8859-1', body: Buffer.from('{"userName":"Zo\xeb"}', 'latin1') },
  'UTF-16 declared': { contentType: 'application/json; charset=utf-16', body: Buffer.from('{"a":1}', 'utf16le') },
  'escaped lone surrogate': {
    contentType: 'application/json',
    body: Buffer.from('{"userName":"\\ud800@example.com","subject":"\\udfff","body":""}'),
  },
  'prototype pollution': {
    contentType: 'application/json',
    body: Buffer.from('{"__proto__":{"admin":true},"constructor":{"prototype":{"x":1}}}'),
  },
  'not JSON': { contentType: 'application/json', body: Buffer.from('{"a":') },
  'JSON null': { contentType: 'application/json', body: Buffer.from('null') },
  'form-encoded': { contentType: 'application/x-www-form-urlencoded', body: Buffer.from('subject=a&subject=b&body=%FF') },
  'plain text': { contentType: 'text/plain; charset=latin1', body: Buffer.from('caf\xe9', 'latin1') },
  'octet-stream': { contentType: 'application/octet-stream', body: Buffer.from([0, 1, 2, 255]) },
  'no content type': { contentType: null, body: Buffer.from('{"a":1}') },
};

/** Query parameter names the routes read, and some they do not. */
const QUERY_NAMES = [
  'filter',
  'count',
  'startIndex',
  'attributes',
  'excludedAttributes',
  'limit',
  'offset',
  'status',
  'userName',
  'state',
  'userId',
  'name',
  '__proto__',
  'a[b]',
];

export type HostileRequest = {
  route: Route;
  method: string;
  path: string;
  query: [string, string][];
  body: HostileBody | null;
  authenticated: boolean;
  /** Which of ANONYMOUS_CREDENTIALS an unauthenticated request carries. */
  anonymousAs?: number;
};

/** What an unauthenticated request claims: nothing, junk, long or non-UTF-8 identities. */
const ANONYMOUS_CREDENTIALS: Record<string, string>[] = [
  {},
  { authorization: 'Basic Og==', 'ss-api-key': 'ak_nobody' },
  { authorization: `Basic ${Buffer.from(`scim_${'u'.repeat(3000)}:x`).toString('base64')}`, 'ss-api-key': `ak_${'k'.repeat(3000)}` },
  {
    authorization: `Basic ${Buffer.from([0xff, 0xfe, 0x3a, 0x41]).toString('base64')}`,
    'ss-api-key': 'ak_\u00ff\u00fe',
    'ss-request-timestamp': '\u00ff',
    'ss-request-signature': 'f'.repeat(64),
  },
  {
    authorization: 'Bearer x',
    'ss-api-key': 'ak_x',
    'ss-request-timestamp': '2026-11-28T10:00:00Z',
    'ss-request-signature': 'F'.repeat(64),
  },
];

const METHODS_OF_ANY_ROUTE = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'];

export function methodsOf(route: Route): string[] {
  return route.method === 'ALL' ? METHODS_OF_ANY_ROUTE : [route.method];
}

/** The route's path with every parameter (and wildcard) set to `value`. */
export function pathWith(route: Route, value: string): string {
  return route.path.replace(/:\w+|\*\w*/g, value);
}

/** Seeded, so a failure is reproducible; FUZZ_SEED explores other cases. */
export const FUZZ_SEED = Number(process.env.FUZZ_SEED ?? 20261130);

/** Safe values for the parameters a case does not attack. */
export const PLAIN_ID = '00000000-0000-4000-8000-000000000000';

/** Random cases mixing all of the above, for routes chosen among `routes`. */
export function hostileRequests(routes: Route[]): fc.Arbitrary<HostileRequest> {
  const value = fc.oneof(
    fc.constantFrom(...Object.values(HOSTILE_VALUES)),
    fc.string({ unit: 'binary', maxLength: 30 }).map((text) => percentEncode(Buffer.from(text, 'utf8'))),
    fc.uint8Array({ maxLength: 12 }).map((bytes) => percentEncode(Buffer.from(bytes))),
  );
  const pair = fc.tuple(fc.oneof(fc.constantFrom(...QUERY_NAMES), value), value);
  return fc
    .record({
      route: fc.constantFrom(...routes),
      methodIndex: fc.nat(),
      pathValue: fc.oneof(fc.constant(PLAIN_ID), value),
      query: fc.array(pair, { maxLength: 3 }),
      repeat: fc.boolean(),
      body: fc.option(
        fc.oneof(
          fc.constantFrom(...Object.values(HOSTILE_BODIES)),
          fc.record({
            contentType: fc.constantFrom(...JSON_TYPES, 'application/json; charset=utf-8', 'application/json; charset=latin1'),
            body: fc.jsonValue({ maxDepth: 4 }).map((json) => Buffer.from(JSON.stringify(json) ?? 'null')),
          }),
        ),
      ),
      authenticated: fc.boolean(),
      anonymousAs: fc.nat(ANONYMOUS_CREDENTIALS.length - 1),
    })
    .map(({ route, methodIndex, pathValue, query, repeat, body, authenticated, anonymousAs }) => {
      const methods = methodsOf(route);
      const pairs = repeat && query.length > 0 ? [...query, query[0]] : query;
      return {
        route,
        method: methods[methodIndex % methods.length],
        path: pathWith(route, pathValue),
        query: pairs,
        body,
        authenticated,
        anonymousAs,
      };
    });
}

function percentEncode(bytes: Buffer): string {
  return [...bytes]
    .map((byte) =>
      /[A-Za-z0-9_.~-]/.test(String.fromCharCode(byte))
        ? String.fromCharCode(byte)
        : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`,
    )
    .join('');
}

export type Credentials = { scimAuthorization: string; apiKey: ApiKeyCredentials };

export type Answer = { status: number; headers: Record<string, string | string[] | undefined>; text: string; pathWithQuery: string };

const agent = new Agent({ keepAlive: true, maxSockets: 4 });

/** Sends the request exactly as built, signed or with Basic credentials when `authenticated`. */
export async function send(app: INestApplication, hostile: HostileRequest, credentials: Credentials): Promise<Answer> {
  const search = hostile.query.map(([name, value]) => `${name}=${value}`).join('&');
  const pathWithQuery = search === '' ? hostile.path : `${hostile.path}?${search}`;
  const body = hostile.body?.body ?? Buffer.alloc(0);
  const headers: Record<string, string> = {};
  if (hostile.body?.contentType) {
    headers['content-type'] = hostile.body.contentType;
  }
  if (hostile.body) {
    headers['content-length'] = String(body.length);
  }
  const digest = createHash('sha256').update(body).digest('hex');
  if (hostile.authenticated) {
    if (hostile.route.auth === 'scim') {
      headers.authorization = credentials.scimAuthorization;
    } else {
      const streamed = hostile.body?.contentType === 'application/octet-stream';
      Object.assign(
        headers,
        adminSignatureHeaders(
          credentials.apiKey,
          streamed ? { method: hostile.method, pathWithQuery, contentSha256: digest } : { method: hostile.method, pathWithQuery, body },
        ),
      );
      headers['ss-content-sha256'] = digest;
    }
  } else {
    Object.assign(headers, ANONYMOUS_CREDENTIALS[(hostile.anonymousAs ?? 1) % ANONYMOUS_CREDENTIALS.length]);
  }
  const { port } = (app.getHttpServer() as { address(): AddressInfo }).address();
  return new Promise((resolve, reject) => {
    const outgoing = httpRequest({ host: '127.0.0.1', port, method: hostile.method, path: pathWithQuery, headers, agent }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () =>
        resolve({
          status: response.statusCode ?? 0,
          headers: response.headers,
          text: Buffer.concat(chunks).toString('utf8'),
          pathWithQuery,
        }),
      );
      response.on('error', reject);
    });
    outgoing.on('error', reject);
    outgoing.end(body);
  });
}

const INTERNALS = /QueryFailedError|SQLITE_|\bER_[A-Z_]{3,}|node_modules|\bat [\w.<>]+ \(|RangeError|TypeError/;

/**
 * The property every answer keeps: never a 5xx; an error in the shape of its audience (the
 * SCIM Error schema under /scim, the admin JSON shape elsewhere); no secret, no internals.
 */
export function expectWellFormedAnswer(answer: Answer, secrets: string[], caseName = ''): void {
  const label = `${caseName} → ${answer.status} for ${answer.pathWithQuery.slice(0, 200)}: ${answer.text.slice(0, 300)}`;
  expect(answer.status, label).toBeGreaterThanOrEqual(200);
  // 501 is SCIM's deliberate answer for what this service does not implement (Groups, Bulk, /Me).
  if (answer.status !== 501 || !isScimPath(answer.pathWithQuery)) {
    expect(answer.status, label).toBeLessThan(500);
  }
  for (const secret of secrets) {
    expect(answer.text.includes(secret), `${label} holds a secret`).toBe(false);
  }
  expect(answer.text, label).not.toMatch(INTERNALS);
  if (answer.status < 400 || /^\/health\//i.test(answer.pathWithQuery)) {
    return;
  }
  const body = JSON.parse(answer.text) as Record<string, unknown>;
  if (isScimPath(answer.pathWithQuery)) {
    expect(answer.headers['content-type'], label).toBe('application/scim+json; charset=utf-8');
    expect(body, label).toMatchObject({
      schemas: ['urn:ietf:params:scim:api:messages:2.0:Error'],
      status: String(answer.status),
      detail: expect.any(String),
    });
  } else {
    expect(body, label).toMatchObject({ statusCode: answer.status, error: expect.any(String), message: expect.any(String) });
  }
}

function isScimPath(pathWithQuery: string): boolean {
  return /^\/scim(\/|$|\?)/i.test(pathWithQuery);
}

export type NamedCase = { name: string; request: HostileRequest };

/**
 * Every (route, method) pair, with and without credentials: each hostile value as its path
 * parameters, a repeated query parameter, and a deep and a non-UTF-8 body. Body parsing does not
 * depend on the route, so every hostile body is sent once per method of `bodyRoutes`.
 */
export function everyHostileCase(routes: Route[], bodyRoutes: Route[]): NamedCase[] {
  const cases: NamedCase[] = [];
  for (const authenticated of [true, false]) {
    const who = authenticated ? 'authenticated' : 'anonymous';
    for (const route of routes) {
      for (const method of methodsOf(route)) {
        const base: HostileRequest = { route, method, path: pathWith(route, PLAIN_ID), query: [], body: null, authenticated };
        const named = (what: string, request: Partial<HostileRequest>): NamedCase => ({
          name: `${method} ${route.path} (${who}): ${what}`,
          request: { ...base, ...request },
        });
        if (/:\w|\*/.test(route.path)) {
          cases.push(
            ...Object.entries(HOSTILE_VALUES).map(([name, value]) => named(`${name} as path parameter`, { path: pathWith(route, value) })),
          );
        }
        const long = HOSTILE_VALUES['8,000 characters'];
        cases.push(
          named('repeated query parameters', {
            query: [
              ['name', 'a'],
              ['name', 'b'],
              ['filter', long],
              ['filter', long],
              ['limit', '1'],
              ['limit', '2'],
            ],
          }),
        );
        cases.push(named('deep body', { body: HOSTILE_BODIES['arrays 20,000 deep'] }));
        cases.push(named('non-UTF-8 body', { body: HOSTILE_BODIES['invalid UTF-8'] }));
      }
    }
    for (const route of bodyRoutes) {
      for (const method of methodsOf(route)) {
        const path = pathWith(route, PLAIN_ID);
        for (const [name, body] of Object.entries(HOSTILE_BODIES)) {
          cases.push({
            name: `${method} ${route.path} (${who}): ${name} body`,
            request: { route, method, path, query: [], body, authenticated },
          });
        }
      }
    }
  }
  // Anonymous cases take turns with each kind of made-up credential.
  return cases.map((named, index) => ({ ...named, request: { ...named.request, anonymousAs: index } }));
}
