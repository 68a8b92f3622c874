import { randomBytes, randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ContentTamperedError, DataKeyDestroyedError, WrongDataKeyError } from '../../../src/content-encryption/content-errors';
import { DataKeys } from '../../../src/content-encryption/data-keys.service';
import { openField, sealField } from '../../../src/content-encryption/field-cipher';
import { Database } from '../../../src/database/database';
import { readDate } from '../../../src/database/sql-values';
import { statement } from '../../../src/database/statement';
import { ServerKeyNotConfiguredError, ServerKeyRing } from '../../../src/secrets/server-key-ring';
import { contentEncryption, createUsers, newServerKey, serverKeyRing } from '../support/data-key-fixtures';
import { gate } from '../support/gate';
import { IntegrationDatabase, openIntegrationDatabase } from '../support/integration-database';

type StoredRow = {
  id: string;
  user_id: string;
  current_user_id: string | null;
  server_key_id: string;
  wrapped_key: Uint8Array;
  created_at: unknown;
  retired_at: unknown;
};
const STORED = statement<StoredRow>(
  'test.dataKeys.stored',
  'SELECT id, user_id, current_user_id, server_key_id, wrapped_key, created_at, retired_at FROM data_keys WHERE user_id = ? ORDER BY created_at, id',
);
const SET_WRAPPED = statement('test.dataKeys.setWrapped', 'UPDATE data_keys SET wrapped_key = ? WHERE id = ?');

describe('DataKeys: users’ data keys on the database', () => {
  let opened: IntegrationDatabase;
  let database: Database;
  let ring: ServerKeyRing;
  let dataKeys: DataKeys;
  const serverKey = newServerKey();

  const stored = (userId: string) => database.rows(STORED, [userId]);

  beforeAll(async () => {
    opened = await openIntegrationDatabase();
    database = opened.database;
    ring = serverKeyRing(serverKey);
    dataKeys = contentEncryption(database, ring).dataKeys;
  });

  afterAll(async () => {
    await opened.close();
  });

  it('creates a user’s key on first use, stores it only wrapped under the server key, and gives the same key back', async () => {
    const [userId] = await createUsers(database, 1);
    const before = new Date(Date.now() - 1000);
    const key = await dataKeys.currentKey(userId);
    expect(key.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(key.userId).toBe(userId);
    const [row, ...others] = await stored(userId);
    expect(others).toEqual([]);
    expect(row).toMatchObject({ id: key.id, user_id: userId, current_user_id: userId, server_key_id: ring.current.id, retired_at: null });
    expect(readDate(row?.created_at).getTime()).toBeGreaterThanOrEqual(before.getTime());
    const wrapped = Buffer.from(row?.wrapped_key ?? []);
    expect(wrapped).toHaveLength(60);
    expect(wrapped.includes(key.secret.export())).toBe(false);

    const again = await dataKeys.currentKey(userId);
    expect(again.id).toBe(key.id);
    expect(again.secret.equals(key.secret)).toBe(true);
    const sealed = sealField(key, 'message.subject', 'hello');
    expect(openField(await dataKeys.key(userId, key.id), 'message.subject', sealed)).toBe('hello');
    expect([...(await dataKeys.keysOf(userId)).keys()]).toEqual([key.id]);
  });

  it('gives each user a key of their own, and never another user’s key by its id', async () => {
    const [first, second] = await createUsers(database, 2);
    const [a, b] = [await dataKeys.currentKey(first), await dataKeys.currentKey(second)];
    expect(a.id).not.toBe(b.id);
    expect(a.secret.equals(b.secret)).toBe(false);
    await expect(dataKeys.key(second, a.id)).rejects.toBeInstanceOf(DataKeyDestroyedError);
    await expect(dataKeys.key(first, randomUUID())).rejects.toBeInstanceOf(DataKeyDestroyedError);
  });

  it('creates one key when first uses race, however many at once', async () => {
    const [userId] = await createUsers(database, 1);
    const keys = await Promise.all(Array.from({ length: 8 }, () => dataKeys.currentKey(userId)));
    expect(new Set(keys.map((key) => key.id)).size).toBe(1);
    expect(await stored(userId)).toHaveLength(1);
  });

  it('creates one key when a first use starts while another’s new key is not yet committed', async () => {
    const [userId] = await createUsers(database, 1);
    const held = gate();
    const first = database.transaction(async () => {
      const key = await dataKeys.currentKey(userId);
      await held.opened;
      return key;
    });
    await sleep(50);
    // On MySQL this one reads no key, then its insert waits for the first transaction's and fails;
    // on SQLite it waits for the first transaction's write turn.
    const second = dataKeys.currentKey(userId);
    await sleep(200);
    held.open();
    const [a, b] = await Promise.all([first, second]);
    expect(b.id).toBe(a.id);
    expect(b.secret.equals(a.secret)).toBe(true);
    expect(await stored(userId)).toHaveLength(1);
  });

  it('destroys a user’s keys, returning what it destroyed; nothing opens what they encrypted, and the next use creates a new key', async () => {
    const [userId] = await createUsers(database, 1);
    const key = await dataKeys.currentKey(userId);
    const sealed = sealField(key, 'message.body', 'to be shredded');
    const createdAt = readDate((await stored(userId))[0]?.created_at);
    const before = Date.now();
    const destroyed = await dataKeys.destroyUserKeys(userId);
    expect(destroyed).toEqual([{ id: key.id, createdAt, destroyedAt: expect.any(Date) }]);
    expect(destroyed[0]?.destroyedAt.getTime()).toBeGreaterThanOrEqual(before);
    expect(await stored(userId)).toEqual([]);
    await expect(dataKeys.key(userId, key.id)).rejects.toThrow(DataKeyDestroyedError);
    expect((await dataKeys.keysOf(userId)).size).toBe(0);
    expect(await dataKeys.destroyUserKeys(userId)).toEqual([]);

    const next = await dataKeys.currentKey(userId);
    expect(next.id).not.toBe(key.id);
    expect(() => openField(next, 'message.body', sealed)).toThrow(WrongDataKeyError);
  });

  it('destroys within the caller’s transaction: a rollback keeps the key, a commit destroys it with the rest', async () => {
    const [userId] = await createUsers(database, 1);
    const key = await dataKeys.currentKey(userId);
    await expect(
      database.transaction(async () => {
        expect(await dataKeys.destroyUserKeys(userId)).toHaveLength(1);
        throw new Error('the deactivation failed after the key was destroyed');
      }),
    ).rejects.toThrow('the deactivation failed');
    expect((await dataKeys.key(userId, key.id)).id).toBe(key.id);
    await database.transaction(async () => {
      await dataKeys.destroyUserKeys(userId);
    });
    await expect(dataKeys.key(userId, key.id)).rejects.toThrow(DataKeyDestroyedError);
  });

  it('retires the current key for a held purge, which destroys exactly it later; the new current key survives', async () => {
    const [userId] = await createUsers(database, 1);
    expect(await dataKeys.retireCurrentKey(userId)).toBeNull();
    const old = await dataKeys.currentKey(userId);
    expect(await dataKeys.retireCurrentKey(userId)).toBe(old.id);
    expect(await dataKeys.retireCurrentKey(userId)).toBeNull();
    const [retired] = await stored(userId);
    expect(retired).toMatchObject({ id: old.id, current_user_id: null });
    expect(readDate(retired?.retired_at)).toBeInstanceOf(Date);

    const current = await dataKeys.currentKey(userId);
    expect(current.id).not.toBe(old.id);
    expect((await dataKeys.key(userId, old.id)).id).toBe(old.id);
    expect([...(await dataKeys.keysOf(userId)).keys()].sort()).toEqual([old.id, current.id].sort());

    const destroyed = await dataKeys.destroyKeys(userId, [old.id, randomUUID()]);
    expect(destroyed.map((key) => key.id)).toEqual([old.id]);
    expect(await dataKeys.destroyKeys(userId, [old.id])).toEqual([]);
    expect((await dataKeys.currentKey(userId)).id).toBe(current.id);
    await expect(dataKeys.key(userId, old.id)).rejects.toThrow(DataKeyDestroyedError);
  });

  it('never serves a key another process destroyed: every use reads the row', async () => {
    const other = await openIntegrationDatabase();
    try {
      const elsewhere = contentEncryption(other.database, ring).dataKeys;
      const [userId] = await createUsers(database, 1);
      const key = await dataKeys.currentKey(userId);
      expect((await dataKeys.key(userId, key.id)).id).toBe(key.id);
      expect(await elsewhere.destroyUserKeys(userId)).toHaveLength(1);
      await expect(dataKeys.key(userId, key.id)).rejects.toThrow(DataKeyDestroyedError);
      expect((await dataKeys.keysOf(userId)).size).toBe(0);
    } finally {
      await other.close();
    }
  });

  it('refuses a key wrapped under a server key it does not know, and a wrapped key that was altered', async () => {
    const [userId] = await createUsers(database, 1);
    const key = await dataKeys.currentKey(userId);
    const stranger = contentEncryption(database, serverKeyRing(newServerKey())).dataKeys;
    await expect(stranger.key(userId, key.id)).rejects.toThrow(ServerKeyNotConfiguredError);
    await expect(stranger.currentKey(userId)).rejects.toThrow(
      /data key .* was made under server key [0-9a-f]{16}, which is neither ENCRYPTION_KEY/,
    );

    const altered = Buffer.from((await stored(userId))[0]?.wrapped_key ?? []);
    altered[30] = (altered[30] ?? 0) ^ 1;
    await database.run(SET_WRAPPED, [altered, key.id]);
    await expect(dataKeys.key(userId, key.id)).rejects.toThrow(ContentTamperedError);
    await database.run(SET_WRAPPED, [randomBytes(12), key.id]);
    await expect(dataKeys.key(userId, key.id)).rejects.toThrow(ContentTamperedError);
  });
});
