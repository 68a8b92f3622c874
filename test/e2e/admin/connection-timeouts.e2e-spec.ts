import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { INestApplication } from '@nestjs/common';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Settings } from '../../../src/config/settings';
import { adminRequest, adminSignatureHeaders } from '../../support/admin-api';
import { createUser, sha256 } from '../../support/purge-fixtures';
import { ERROR, okta, oktaUser, scimTenant, ScimTenant } from '../../support/scim-client';
import { RawConnection, requestHead, sleep } from '../../support/socket-client';
import { createTestApp } from '../../support/test-app';

// Short limits, so slow clients are cut within a test; far enough apart to tell which one acted.
const HEADERS_MS = 500;
const BODY_MS = 1000;
const IDLE_MS = 2000;
const KEEP_ALIVE_MS = 500;
const TIMEOUT_SETTINGS = {
  HTTP_HEADERS_TIMEOUT_MS: String(HEADERS_MS),
  HTTP_BODY_TIMEOUT_MS: String(BODY_MS),
  HTTP_IDLE_TIMEOUT_MS: String(IDLE_MS),
  HTTP_KEEP_ALIVE_TIMEOUT_MS: String(KEEP_ALIVE_MS),
};
// Timers fire late on a busy machine; how late is tolerated, never how early.
const SLACK_MS = 3000;

/** Milliseconds from connecting until the server closed the connection, or null if it did not within `limitMs`. */
async function closedWithin(connection: RawConnection, limitMs: number): Promise<number | null> {
  return Promise.race([connection.closed, sleep(limitMs).then(() => null)]);
}

describe('connection timeouts', () => {
  let app: INestApplication;
  let tenant: ScimTenant;
  let stagingDirectory: string;
  const connections: RawConnection[] = [];

  async function open(): Promise<RawConnection> {
    const connection = await RawConnection.open(app);
    connections.push(connection);
    return connection;
  }

  beforeAll(async () => {
    Object.assign(process.env, TIMEOUT_SETTINGS);
    app = await createTestApp();
    tenant = await scimTenant(app, 'timeouts');
    stagingDirectory = join(app.get(Settings).fileStorage.directory, '.incoming');
  });

  afterAll(async () => {
    for (const connection of connections) {
      connection.destroy();
    }
    await app.close();
    for (const name of Object.keys(TIMEOUT_SETTINGS)) {
      delete process.env[name];
    }
  });

  function stagedFiles(): string[] {
    return existsSync(stagingDirectory) ? readdirSync(stagingDirectory) : [];
  }

  it('answers 408 and disconnects a client that sends its headers slowly, even while bytes keep coming', async () => {
    const connection = await open();
    connection.write('GET /health/live HTTP/1.1\r\nHost: 127.0.0.1\r\n');
    void connection.trickle(
      Array.from({ length: 200 }, (_, i) => `X-Slow-${i}: 1\r\n`),
      50,
    );
    const closedAfter = await closedWithin(connection, HEADERS_MS + SLACK_MS);
    expect(closedAfter).not.toBeNull();
    expect(closedAfter).toBeGreaterThanOrEqual(HEADERS_MS - 50);
    expect(connection.status).toBe(408);
    expect(connection.json).toMatchObject({ statusCode: 408, error: 'request_timeout', message: expect.stringContaining('headers') });
  });

  it.each([
    ['the SCIM error shape on a SCIM path', '/scim/v2/Users', 'application/scim+json; charset=utf-8', { schemas: [ERROR], status: '400' }],
    ['the admin error shape elsewhere', '/admin/v1/api-keys', 'application/json; charset=utf-8', { statusCode: 400, error: 'bad_request' }],
  ])('answers HTTP that Node cannot parse in %s, before any request exists', async (_case, path, contentType, shape) => {
    const connection = await open();
    connection.write(`GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nBad Header: 1\r\n\r\n`);
    expect(await closedWithin(connection, SLACK_MS)).not.toBeNull();
    expect(connection.status).toBe(400);
    expect(connection.header('content-type')).toBe(contentType);
    expect(connection.json).toMatchObject({
      ...shape,
      ['schemas' in shape ? 'detail' : 'message']: expect.stringContaining('not valid HTTP/1.1'),
    });
  });

  it('answers 408 in the SCIM error shape and disconnects a client that trickles a SCIM body; nothing is created', async () => {
    const body = JSON.stringify(oktaUser('slow.body@example.com'));
    const connection = await open();
    connection.write(
      requestHead('POST', '/scim/v2/Users', {
        Authorization: tenant.authorization,
        'Content-Type': 'application/scim+json',
        'Content-Length': Buffer.byteLength(body),
      }),
    );
    void connection.trickle([...body], 50);
    const closedAfter = await closedWithin(connection, BODY_MS + SLACK_MS);
    expect(closedAfter).not.toBeNull();
    expect(closedAfter).toBeGreaterThanOrEqual(BODY_MS - 50);
    expect(connection.status).toBe(408);
    expect(connection.header('content-type')).toBe('application/scim+json; charset=utf-8');
    expect(connection.json).toMatchObject({ schemas: [ERROR], status: '408', detail: expect.stringContaining('body') });
    const found = await okta(app, tenant)
      .get(`/Users?filter=${encodeURIComponent('userName eq "slow.body@example.com"')}`)
      .expect(200);
    expect(found.body.totalResults).toBe(0);
  });

  it('answers 408 in the admin error shape to a client that trickles an admin body; no key is created', async () => {
    const keysBefore = (await adminRequest(app, 'get', '/admin/v1/api-keys', tenant.apiKey).expect(200)).body.items.length as number;
    const body = JSON.stringify({ description: 'a key that never arrives' });
    const path = '/admin/v1/api-keys';
    const connection = await open();
    connection.write(
      requestHead('POST', path, {
        ...adminSignatureHeaders(tenant.apiKey, { method: 'POST', pathWithQuery: path, body }),
        'Content-Type': 'application/json',
        'Content-Length': Buffer.byteLength(body),
      }),
    );
    void connection.trickle([...body], 50);
    expect(await closedWithin(connection, BODY_MS + SLACK_MS)).not.toBeNull();
    expect(connection.status).toBe(408);
    expect(connection.json).toMatchObject({ statusCode: 408, error: 'request_timeout', message: expect.stringContaining('body') });
    expect((await adminRequest(app, 'get', '/admin/v1/api-keys', tenant.apiKey).expect(200)).body.items).toHaveLength(keysBefore);
  });

  it('closes the connection after answering a request whose body is still arriving', async () => {
    const connection = await open();
    connection.write(
      requestHead('POST', `/admin/v1/users/${tenant.adminId}/files?name=big.bin`, {
        'Content-Type': 'application/octet-stream',
        'Content-Length': 10_000_000,
      }),
    );
    void connection.trickle(
      Array.from({ length: 400 }, () => 'x'),
      25,
    );
    await connection.response(SLACK_MS);
    expect(connection.status).toBe(401);
    expect(connection.header('connection')).toBe('close');
    // Well before the idle timeout could act: the bytes keep coming.
    expect(await closedWithin(connection, IDLE_MS - 500)).not.toBeNull();
  });

  it('lets an upload on a slow but live link take longer than the body deadline', async () => {
    const user = await createUser(app, tenant.organizationId);
    const content = Buffer.alloc(3000, 'slow but steady ');
    const chunks = Array.from({ length: 20 }, (_, i) => content.subarray(i * 150, (i + 1) * 150));
    const path = `/admin/v1/users/${user.id}/files?name=slow.txt`;
    const digest = sha256(content);
    const connection = await open();
    connection.write(
      requestHead('POST', path, {
        ...adminSignatureHeaders(tenant.apiKey, { method: 'POST', pathWithQuery: path, contentSha256: digest }),
        'ss-content-sha256': digest,
        'Content-Type': 'application/octet-stream',
        'Content-Length': content.length,
      }),
    );
    const started = Date.now();
    await connection.trickle(chunks, 150);
    await connection.response(SLACK_MS);
    expect(Date.now() - started).toBeGreaterThan(BODY_MS * 2);
    expect(connection.status).toBe(201);
    const history = await adminRequest(app, 'get', `/admin/v1/users/${user.id}/history`, tenant.apiKey).expect(200);
    expect(history.body.files).toEqual({ count: 1, bytes: content.length });
  });

  it('cuts a stalled upload after the idle timeout and removes its staging file', async () => {
    const user = await createUser(app, tenant.organizationId);
    const content = Buffer.alloc(5000, 'never finished ');
    const path = `/admin/v1/users/${user.id}/files?name=stalled.txt`;
    const digest = sha256(content);
    const connection = await open();
    connection.write(
      requestHead('POST', path, {
        ...adminSignatureHeaders(tenant.apiKey, { method: 'POST', pathWithQuery: path, contentSha256: digest }),
        'ss-content-sha256': digest,
        'Content-Type': 'application/octet-stream',
        'Content-Length': content.length,
      }),
    );
    connection.write(content.subarray(0, 1000));
    // The upload is being staged while the client is silent.
    const stagingDeadline = Date.now() + IDLE_MS - 200;
    while (stagedFiles().length === 0 && Date.now() < stagingDeadline) {
      await sleep(20);
    }
    expect(stagedFiles()).toHaveLength(1);
    const closedAfter = await closedWithin(connection, IDLE_MS + SLACK_MS);
    expect(closedAfter).not.toBeNull();
    expect(closedAfter).toBeGreaterThanOrEqual(IDLE_MS - 50);
    const cleanupDeadline = Date.now() + SLACK_MS;
    while (stagedFiles().length > 0 && Date.now() < cleanupDeadline) {
      await sleep(20);
    }
    expect(stagedFiles()).toEqual([]);
    const history = await adminRequest(app, 'get', `/admin/v1/users/${user.id}/history`, tenant.apiKey).expect(200);
    expect(history.body.files).toEqual({ count: 0, bytes: 0 });
  });

  it('closes a kept-alive connection that stays idle between requests', async () => {
    const connection = await open();
    connection.write(requestHead('GET', '/health/live', { Connection: 'keep-alive' }));
    await connection.response(SLACK_MS);
    expect(connection.status).toBe(200);
    const answeredAt = Date.now();
    // Node adds one second to the keep-alive timeout before it closes the socket.
    expect(await closedWithin(connection, KEEP_ALIVE_MS + 1000 + SLACK_MS)).not.toBeNull();
    expect(Date.now() - answeredAt).toBeGreaterThanOrEqual(KEEP_ALIVE_MS - 50);
  });
});
