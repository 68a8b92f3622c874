import { INestApplication } from '@nestjs/common';
import { Redis } from 'ioredis';
import { DataSource } from 'typeorm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RequestNonceRepository } from '../../../src/auth/request-nonce.repository';
import { RequestNonces } from '../../../src/auth/request-nonces';
import { newNonce, sha256Hex } from '../../../src/auth/request-signature';
import { adminRequest, bootstrapOrganization, BootstrappedOrganization, sendAdmin, signedHeaders } from '../../support/admin-api';
import { e2eDatabase, redisUrl } from '../../support/e2e-target';
import { freePort } from '../../support/processes';
import { DisposableRedis } from '../../support/purge-redis';
import { rememberSecret } from '../../support/secret-ledger';
import { createTestApp } from '../../support/test-app';

const NONCE_KEPT_MS = 6 * 60_000;

/** Two service processes (two apps on one database and, with MariaDB, one Redis), as behind a load balancer. */
describe('replayed admin requests, across processes', () => {
  let a: INestApplication;
  let b: INestApplication;
  let org: BootstrappedOrganization;

  beforeAll(async () => {
    // Every refused copy counts as a failed authentication of the key; throttling has its own file.
    process.env.AUTH_FAILURES_PER_ADDRESS = '100000';
    process.env.AUTH_FAILURES_PER_USERNAME = '100000';
    a = await createTestApp();
    b = await createTestApp();
    org = await bootstrapOrganization(a, 'replay');
    rememberSecret(org.apiKey.secret);
  });

  afterAll(async () => {
    await a?.close();
    await b?.close();
  });

  async function keysDescribed(description: string): Promise<number> {
    const { items } = (await adminRequest(a, 'get', '/admin/v1/api-keys', org.apiKey).expect(200)).body as {
      items: { description: string }[];
    };
    return items.filter((item) => item.description === description).length;
  }

  it('lets exactly one of many concurrent copies of a signed request through, whichever process gets them', async () => {
    const raw = JSON.stringify({ description: 'raced' });
    const headers = signedHeaders(org.apiKey, 'POST', '/admin/v1/api-keys', raw);
    const copies = await Promise.all(
      Array.from({ length: 12 }, (_, i) => sendAdmin(i % 2 === 0 ? a : b, 'post', '/admin/v1/api-keys', headers, raw)),
    );
    const statuses = copies.map((response) => response.status).sort();
    expect(statuses).toEqual([201, ...Array<number>(11).fill(401)]);
    for (const refused of copies.filter((response) => response.status === 401)) {
      expect(refused.body.message).toContain('replayed');
    }
    rememberSecret(copies.find((response) => response.status === 201)?.body.secret as string);
    expect(await keysDescribed('raced')).toBe(1);
  });

  it('refuses in one process a request already served by the other', async () => {
    const headers = signedHeaders(org.apiKey, 'GET', '/admin/v1/organization');
    await sendAdmin(a, 'get', '/admin/v1/organization', headers).expect(200);
    const replayed = await sendAdmin(b, 'get', '/admin/v1/organization', headers).expect(401);
    expect(replayed.body.message).toContain('replayed');
  });

  it('remembers the nonce, hashed and under the key, until its timestamp leaves the window', async () => {
    const nonce = newNonce();
    const signedAt = Date.now();
    await adminRequest(a, 'get', '/admin/v1/organization', org.apiKey, undefined, { nonce }).expect(200);
    const nonceHash = sha256Hex(nonce);
    // How the nonce is kept (hashed, where, until when) is storage that no API shows.
    const rows = await a
      .get(DataSource)
      .query<{ expires_at: string | Date }[]>('SELECT expires_at FROM request_nonces WHERE api_key_id = ? AND nonce_hash = ?', [
        org.apiKey.id,
        nonceHash,
      ]);
    if (e2eDatabase() === 'mysql') {
      // With Redis the nonce lives there, under this deployment's prefix, expiring by itself.
      expect(rows).toEqual([]);
      const redis = new Redis(redisUrl);
      try {
        const ttl = await redis.pttl(`${process.env.REDIS_KEY_PREFIX}:admin-nonce:${org.apiKey.id}:${nonceHash}`);
        expect(ttl).toBeGreaterThan(NONCE_KEPT_MS - 20_000);
        expect(ttl).toBeLessThanOrEqual(NONCE_KEPT_MS);
        expect(await redis.keys(`*${nonce}*`)).toEqual([]);
      } finally {
        redis.disconnect();
      }
    } else {
      expect(rows).toHaveLength(1);
      const expiresAt = new Date(`${String(rows[0]?.expires_at).replace(' ', 'T').replace(/Z?$/, 'Z')}`).getTime();
      expect(Math.abs(expiresAt - (signedAt + NONCE_KEPT_MS))).toBeLessThan(20_000);
    }
  });

  it('sweeps expired nonce rows in bounded batches, keeping those still in their window', async () => {
    const repository = a.get(RequestNonceRepository);
    const now = Date.now();
    const expired = Array.from({ length: 7 }, (_, i) => ({
      apiKeyId: org.apiKey.id,
      nonceHash: sha256Hex(`expired-${i}-${now}`),
      expiresAt: new Date(now - 60_000 - i * 1000),
    }));
    const live = Array.from({ length: 3 }, (_, i) => ({
      apiKeyId: org.apiKey.id,
      nonceHash: sha256Hex(`live-${i}-${now}`),
      expiresAt: new Date(now + 60_000),
    }));
    for (const row of [...expired, ...live]) {
      expect(await repository.insertIfAbsent(row)).toBe(true);
    }
    expect(await repository.insertIfAbsent(live[0])).toBe(false);
    expect(await repository.deleteExpired(new Date(now), 3)).toBe(3);
    expect(await b.get(RequestNonces).sweep(new Date(now), 2)).toBe(4);
    // The sweep's effect on the nonce store: no API shows it.
    const left = await a
      .get(DataSource)
      .query<{ nonce_hash: string }[]>('SELECT nonce_hash FROM request_nonces WHERE api_key_id = ?', [org.apiKey.id]);
    const hashes = left.map((row) => row.nonce_hash);
    expect(hashes).toEqual(expect.arrayContaining(live.map((row) => row.nonceHash)));
    expect(hashes.some((hash) => expired.some((row) => row.nonceHash === hash))).toBe(false);
  });
});

describe('replay protection fails closed', () => {
  let redis: DisposableRedis;
  let app: INestApplication;
  let org: BootstrappedOrganization;
  const saved = { url: process.env.REDIS_URL, prefix: process.env.REDIS_KEY_PREFIX };

  beforeAll(async () => {
    redis = new DisposableRedis(await freePort());
    await redis.start();
    process.env.REDIS_URL = redis.url;
    process.env.REDIS_KEY_PREFIX = `nonce-outage-${redis.port}`;
    app = await createTestApp();
    org = await bootstrapOrganization(app, 'outage');
    rememberSecret(org.apiKey.secret);
  });

  afterAll(async () => {
    try {
      await app?.close();
    } finally {
      await redis.stop();
      for (const [name, value] of [
        ['REDIS_URL', saved.url],
        ['REDIS_KEY_PREFIX', saved.prefix],
      ] as const) {
        if (value === undefined) {
          delete process.env[name];
        } else {
          process.env[name] = value;
        }
      }
    }
  });

  it('answers 503 while the nonce store (Redis) is away, and executes nothing', async () => {
    await adminRequest(app, 'get', '/admin/v1/organization', org.apiKey).expect(200);
    await redis.stop();
    try {
      const refused = await adminRequest(app, 'post', '/admin/v1/api-keys', org.apiKey, { description: 'during outage' }).expect(503);
      expect(refused.body).toMatchObject({ statusCode: 503, message: expect.stringContaining('replay') });
      expect(refused.headers['retry-after']).toBe('5');
    } finally {
      await redis.start();
    }
    await expect
      .poll(async () => (await adminRequest(app, 'get', '/admin/v1/api-keys', org.apiKey)).status, { timeout: 15_000, interval: 200 })
      .toBe(200);
    const { items } = (await adminRequest(app, 'get', '/admin/v1/api-keys', org.apiKey).expect(200)).body as {
      items: { description: string | null }[];
    };
    expect(items.some((item) => item.description === 'during outage')).toBe(false);
  });
});
