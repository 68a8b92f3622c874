import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RequestNonceRepository } from '../../../src/auth/request-nonce.repository';
import { Database } from '../../../src/database/database';
import { statement } from '../../../src/database/statement';
import { IntegrationDatabase, openIntegrationDatabase } from '../support/integration-database';

const HASHES_OF_KEY = statement<{ nonce_hash: string }>(
  'test.nonces.hashesOfKey',
  'SELECT nonce_hash FROM request_nonces WHERE api_key_id = ? ORDER BY nonce_hash',
);

/** The request-nonce table (the replay guard without Redis) on the real databases, with the SQLite write guard on. */
describe('request nonces', () => {
  let opened: IntegrationDatabase;
  let database: Database;
  let nonces: RequestNonceRepository;

  async function hashesOf(apiKeyId: string): Promise<string[]> {
    return (await database.rows(HASHES_OF_KEY, [apiKeyId])).map((row) => row.nonce_hash);
  }

  beforeAll(async () => {
    opened = await openIntegrationDatabase();
    database = opened.database;
    nonces = new RequestNonceRepository(database);
  });

  afterAll(async () => {
    await opened.close();
  });

  it('takes a nonce once per key: a replay, even a concurrent one, is refused; another key may use the same nonce', async () => {
    const key = randomUUID();
    const other = randomUUID();
    const expiresAt = new Date(Date.now() + 60_000);
    const nonce = { apiKeyId: key, nonceHash: 'a'.repeat(64), expiresAt };
    const first = await Promise.all([nonces.insertIfAbsent(nonce), nonces.insertIfAbsent(nonce)]);
    expect(first.sort()).toEqual([false, true]);
    expect(await nonces.insertIfAbsent(nonce)).toBe(false);
    expect(await nonces.insertIfAbsent({ ...nonce, apiKeyId: other })).toBe(true);
    expect(await hashesOf(key)).toEqual(['a'.repeat(64)]);
  });

  it('sweeps expired nonces in bounded batches, oldest first, and keeps those still in their window', async () => {
    const key = randomUUID();
    const now = Date.now();
    const hash = (prefix: string, index: number): string => `${prefix}${index}`.padEnd(64, '0');
    for (let index = 0; index < 5; index += 1) {
      await nonces.insertIfAbsent({ apiKeyId: key, nonceHash: hash('e', index), expiresAt: new Date(now - 60_000 - index * 1000) });
    }
    await nonces.insertIfAbsent({ apiKeyId: key, nonceHash: hash('l', 0), expiresAt: new Date(now + 60_000) });
    expect(await nonces.deleteExpired(new Date(now), 2)).toBe(2);
    // The two that expired first went.
    expect(await hashesOf(key)).toEqual([hash('e', 0), hash('e', 1), hash('e', 2), hash('l', 0)]);
    expect(await nonces.deleteExpired(new Date(now), 10)).toBeGreaterThanOrEqual(3);
    expect(await hashesOf(key)).toEqual([hash('l', 0)]);
    expect(await nonces.deleteExpired(new Date(now), 10)).toBe(0);
  });
});
