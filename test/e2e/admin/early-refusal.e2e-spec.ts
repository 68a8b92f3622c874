import { INestApplication } from '@nestjs/common';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { ScimCredentialVerifier } from '../../../src/auth/scim-credential-verifier';
import {
  bootstrapOrganization,
  BootstrappedOrganization,
  isoNow,
  issueScimCredentials,
  ScimCredentials,
  signedHeaders,
} from '../../support/admin-api';
import { sha256 } from '../../support/purge-fixtures';
import { RawConnection } from '../../support/raw-http';
import { oktaUser } from '../../support/scim-client';
import { rememberSecret } from '../../support/secret-ledger';
import { createTestApp } from '../../support/test-app';

// Under HTTP_BODY_LIMIT_BYTES, so only authentication can refuse it before it is read.
const ANNOUNCED = 500_000;

const basic = (username: string, password: string): string =>
  `Authorization: Basic ${Buffer.from(`${username}:${password}`).toString('base64')}`;
const headerLines = (headers: Record<string, string>): string[] => Object.entries(headers).map(([name, value]) => `${name}: ${value}`);

let appCount = 0;

async function buildApp(perAddress: number): Promise<INestApplication> {
  process.env.AUTH_FAILURES_PER_ADDRESS = String(perAddress);
  process.env.AUTH_FAILURES_PER_USERNAME = '100000';
  // Counters live in Redis when it is configured: a fresh prefix gives each app fresh counters.
  if (process.env.REDIS_KEY_PREFIX) {
    process.env.REDIS_KEY_PREFIX = `${process.env.REDIS_KEY_PREFIX.split('.')[0]}.${++appCount}`;
  }
  return createTestApp();
}

/**
 * Sends only the headers of a request that announces a large body, and expects the answer without
 * having sent a byte of it: the server refused before reading the body, then closed the
 * connection rather than drain it.
 */
async function expectRefusedBeforeBody(app: INestApplication, head: string[], status: number): Promise<string> {
  const connection = new RawConnection(app, [...head, `Content-Length: ${ANNOUNCED}`]);
  try {
    const response = await connection.response(10_000);
    expect(response, `${head[0]}: no answer before the body was sent`).not.toBeNull();
    expect(response!.status).toBe(status);
    expect(response!.headers.connection).toBe('close');
    expect(await connection.closed()).toBe(true);
    return response!.body;
  } finally {
    connection.destroy();
  }
}

describe('unauthenticated requests are refused before their body is read', () => {
  let app: INestApplication;
  let org: BootstrappedOrganization;
  let credentials: ScimCredentials;

  beforeAll(async () => {
    app = await buildApp(100_000);
    org = await bootstrapOrganization(app, 'early');
    credentials = await issueScimCredentials(app, org.apiKey);
    rememberSecret(org.apiKey.secret, credentials.password);
  });

  afterAll(async () => {
    await app.close();
  });

  afterEach(() => {
    vi.restoreAllMocks();
  });

  it('SCIM: no, malformed or wrong Basic credentials', async () => {
    for (const authorization of [
      [],
      ['Authorization: Bearer x.y.z'],
      [basic(credentials.username, 'wrong')],
      [basic('scim_nobody', 'x')],
    ]) {
      const body = await expectRefusedBeforeBody(
        app,
        ['POST /scim/v2/Users HTTP/1.1', 'Content-Type: application/scim+json', ...authorization],
        401,
      );
      expect(JSON.parse(body)).toMatchObject({ schemas: ['urn:ietf:params:scim:api:messages:2.0:Error'], status: '401' });
    }
    await expectRefusedBeforeBody(
      app,
      [`PUT /scim/v2/Users/${org.adminId} HTTP/1.1`, 'Content-Type: application/scim+json', basic(credentials.username, 'wrong')],
      401,
    );
  });

  it('admin: missing or malformed signature headers, a stale timestamp, an unknown or revoked key', async () => {
    const path = '/admin/v1/api-keys';
    const head = (headers: Record<string, string>): string[] => [
      `POST ${path} HTTP/1.1`,
      'Content-Type: application/json',
      ...headerLines(headers),
    ];
    const good = (options = {}): Record<string, string> => signedHeaders(org.apiKey, 'POST', path, 'x'.repeat(ANNOUNCED), options);
    await expectRefusedBeforeBody(app, head({}), 401);
    await expectRefusedBeforeBody(app, head(good({ omit: ['nonce'] })), 401);
    await expectRefusedBeforeBody(app, head(good({ nonce: 'short' })), 401);
    await expectRefusedBeforeBody(app, head(good({ timestamp: isoNow(-10 * 60_000) })), 401);
    await expectRefusedBeforeBody(app, head(signedHeaders({ key: 'ak_unknown', secret: 'x' }, 'POST', path)), 401);
    await expectRefusedBeforeBody(app, [`POST /admin/v1/users/${org.adminId}/messages HTTP/1.1`, 'Content-Type: application/json'], 401);
  });

  it('admin: a body of the wrong media type, with every header right (415)', async () => {
    const path = '/admin/v1/api-keys';
    const body = await expectRefusedBeforeBody(
      app,
      [`POST ${path} HTTP/1.1`, 'Content-Type: text/plain', ...headerLines(signedHeaders(org.apiKey, 'POST', path))],
      415,
    );
    expect(JSON.parse(body)).toMatchObject({ statusCode: 415, message: expect.stringContaining('application/json') });
  });

  it('admin upload: a signature over another digest is refused before the upload is read', async () => {
    const path = `/admin/v1/users/${org.adminId}/files?name=big.bin`;
    const digest = sha256('the real content');
    const signedOverOther = signedHeaders(org.apiKey, 'POST', path, '', { bodySha256: sha256('other content') });
    await expectRefusedBeforeBody(
      app,
      [`POST ${path} HTTP/1.1`, 'Content-Type: application/octet-stream', `ss-content-sha256: ${digest}`, ...headerLines(signedOverOther)],
      401,
    );
  });

  it('waits for the body of an authenticated request, and verifies each SCIM request once', async () => {
    const verify = vi.spyOn(app.get(ScimCredentialVerifier), 'verify');
    const body = JSON.stringify(oktaUser(`early-${Date.now()}@example.com`, 'Early', 'Bird'));
    const connection = new RawConnection(app, [
      'POST /scim/v2/Users HTTP/1.1',
      'Content-Type: application/scim+json',
      basic(credentials.username, credentials.password),
      `Content-Length: ${Buffer.byteLength(body)}`,
      'Connection: close',
    ]);
    try {
      expect(await connection.response(500)).toBeNull();
      connection.send(body);
      const response = await connection.response(10_000);
      expect(response?.status).toBe(201);
    } finally {
      connection.destroy();
    }
    expect(verify).toHaveBeenCalledTimes(1);
  });
});

describe('Expect: 100-continue is answered only once the request is authenticated', () => {
  let app: INestApplication;
  let org: BootstrappedOrganization;
  let credentials: ScimCredentials;

  beforeAll(async () => {
    app = await buildApp(100_000);
    org = await bootstrapOrganization(app, 'continue');
    credentials = await issueScimCredentials(app, org.apiKey);
    rememberSecret(org.apiKey.secret, credentials.password);
  });

  afterAll(async () => {
    await app.close();
  });

  /** Headers with `Expect: 100-continue`; true when the server said 100 before its final answer. */
  async function continues(head: string[], length: number): Promise<{ connection: RawConnection; continued: boolean }> {
    const connection = new RawConnection(app, [...head, `Content-Length: ${length}`, 'Expect: 100-continue']);
    return { connection, continued: await connection.continueReceived() };
  }

  it('refuses with the final answer, never 100, when the credentials are wrong', async () => {
    const path = `/admin/v1/users/${org.adminId}/files?name=big.bin`;
    const digest = sha256('content');
    for (const [head, status] of [
      [['POST /scim/v2/Users HTTP/1.1', 'Content-Type: application/scim+json', basic(credentials.username, 'wrong')], 401],
      [['POST /admin/v1/api-keys HTTP/1.1', 'Content-Type: application/json'], 401],
      [
        [
          `POST ${path} HTTP/1.1`,
          'Content-Type: application/octet-stream',
          `ss-content-sha256: ${digest}`,
          ...headerLines(signedHeaders(org.apiKey, 'POST', path, '', { bodySha256: sha256('other') })),
        ],
        401,
      ],
    ] as const) {
      const { connection, continued } = await continues([...head], ANNOUNCED);
      try {
        expect(continued, head[0]).toBe(false);
        expect((await connection.response())?.status, head[0]).toBe(status);
      } finally {
        connection.destroy();
      }
    }
  });

  it('says 100 Continue to an authenticated request, then takes its body', async () => {
    const body = JSON.stringify(oktaUser(`continue-${Date.now()}@example.com`, 'Con', 'Tinue'));
    const scim = await continues(
      ['POST /scim/v2/Users HTTP/1.1', 'Content-Type: application/scim+json', basic(credentials.username, credentials.password)],
      Buffer.byteLength(body),
    );
    try {
      expect(scim.continued).toBe(true);
      scim.connection.send(body);
      expect((await scim.connection.response())?.status).toBe(201);
    } finally {
      scim.connection.destroy();
    }

    const content = Buffer.from('uploaded after 100 Continue');
    const path = `/admin/v1/users/${org.adminId}/files?name=continued.bin`;
    const upload = await continues(
      [
        `POST ${path} HTTP/1.1`,
        'Content-Type: application/octet-stream',
        `ss-content-sha256: ${sha256(content)}`,
        ...headerLines(signedHeaders(org.apiKey, 'POST', path, '', { bodySha256: sha256(content) })),
      ],
      content.length,
    );
    try {
      expect(upload.continued).toBe(true);
      upload.connection.send(content);
      const response = await upload.connection.response();
      expect(response?.status).toBe(201);
      expect(JSON.parse(response!.body)).toMatchObject({ name: 'continued.bin', sizeBytes: content.length });
    } finally {
      upload.connection.destroy();
    }
  });
});

describe('throttled addresses are refused before their body is read', () => {
  let app: INestApplication;
  let org: BootstrappedOrganization;
  let credentials: ScimCredentials;

  beforeAll(async () => {
    app = await buildApp(2);
    org = await bootstrapOrganization(app, 'early-throttle');
    credentials = await issueScimCredentials(app, org.apiKey);
    rememberSecret(org.apiKey.secret, credentials.password);
  });

  afterAll(async () => {
    await app.close();
  });

  it('answers 429 on both paths without reading the body', async () => {
    await expectRefusedBeforeBody(app, ['POST /scim/v2/Users HTTP/1.1', 'Content-Type: application/scim+json'], 401);
    await expectRefusedBeforeBody(app, ['POST /scim/v2/Users HTTP/1.1', 'Content-Type: application/scim+json'], 401);
    await expectRefusedBeforeBody(
      app,
      ['POST /scim/v2/Users HTTP/1.1', 'Content-Type: application/scim+json', basic(credentials.username, 'wrong')],
      429,
    );
    await expectRefusedBeforeBody(app, ['POST /admin/v1/api-keys HTTP/1.1', 'Content-Type: application/json'], 429);
  });
});
