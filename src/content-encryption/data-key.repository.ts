import { Injectable } from '@nestjs/common';
import { Database } from '../database/database';
import { isUniqueViolation } from '../database/database-error';
import { readDate, readInteger } from '../database/sql-values';
import { statement } from '../database/statement';

/** A data_keys row as the key services need it. */
export type WrappedDataKey = { id: string; userId: string; serverKeyId: string; wrappedKey: Uint8Array };
export type DataKeyAge = { id: string; createdAt: Date };

type WrappedRow = { id: string; user_id: string; server_key_id: string; wrapped_key: Uint8Array };
type AgeRow = { id: string; created_at: unknown };
type CountRow = { server_key_id: string; data_keys: unknown };

const WRAPPED_COLUMNS = 'id, user_id, server_key_id, wrapped_key';

const CURRENT = statement<WrappedRow>('dataKeys.current', `SELECT ${WRAPPED_COLUMNS} FROM data_keys WHERE current_user_id = ?`);
// A locking read sees the latest committed row, which a MySQL snapshot read taken earlier does not.
const CURRENT_LOCKED = statement<WrappedRow>(
  'dataKeys.currentLocked',
  `SELECT ${WRAPPED_COLUMNS} FROM data_keys WHERE current_user_id = ?`,
  {
    lock: 'share',
  },
);
const INSERT_CURRENT = statement(
  'dataKeys.insertCurrent',
  'INSERT INTO data_keys (id, user_id, current_user_id, server_key_id, wrapped_key, created_at) VALUES (?, ?, ?, ?, ?, ?)',
);
const BY_ID = statement<WrappedRow>('dataKeys.byId', `SELECT ${WRAPPED_COLUMNS} FROM data_keys WHERE id = ? AND user_id = ?`);
const OF_USER = statement<WrappedRow>('dataKeys.ofUser', `SELECT ${WRAPPED_COLUMNS} FROM data_keys WHERE user_id = ?`);
const OF_USER_LOCKED = statement<AgeRow>(
  'dataKeys.ofUserLocked',
  'SELECT id, created_at FROM data_keys WHERE user_id = ? ORDER BY created_at, id',
  {
    lock: 'update',
  },
);
const DELETE = statement('dataKeys.delete', 'DELETE FROM data_keys WHERE id = ? AND user_id = ?');
const RETIRE = statement(
  'dataKeys.retire',
  'UPDATE data_keys SET current_user_id = NULL, retired_at = ? WHERE id = ? AND current_user_id = ?',
);
const NOT_UNDER_SERVER_KEY = statement<WrappedRow>(
  'dataKeys.notUnderServerKey',
  `SELECT ${WRAPPED_COLUMNS} FROM data_keys WHERE server_key_id <> ? AND id > ? ORDER BY id LIMIT ?`,
  { lock: 'update' },
);
const REWRAP = statement('dataKeys.rewrap', 'UPDATE data_keys SET server_key_id = ?, wrapped_key = ? WHERE id = ? AND server_key_id = ?');
// A locking read: the key cannot be destroyed between this check and the commit that relies on it.
const EXISTS_LOCKED = statement<{ id: string }>('dataKeys.existsLocked', 'SELECT id FROM data_keys WHERE id = ? AND user_id = ?', {
  lock: 'share',
});
const INSERT_TOMBSTONE = statement(
  'dataKeys.insertTombstone',
  'INSERT INTO destroyed_data_keys (id, user_id, destroyed_at) VALUES (?, ?, ?)',
);
const TOMBSTONE = statement<{ destroyed_at: unknown }>(
  'dataKeys.tombstone',
  'SELECT destroyed_at FROM destroyed_data_keys WHERE id = ? AND user_id = ?',
);
const LATEST_TOMBSTONE = statement<{ destroyed_at: unknown }>(
  'dataKeys.latestTombstoneOfUser',
  'SELECT destroyed_at FROM destroyed_data_keys WHERE user_id = ? ORDER BY destroyed_at DESC, id LIMIT 1',
);
const COUNT_BY_SERVER_KEY = statement<CountRow>(
  'dataKeys.countByServerKey',
  'SELECT server_key_id, COUNT(*) AS data_keys FROM data_keys GROUP BY server_key_id ORDER BY server_key_id',
);

/** The data_keys table. Every method joins the ambient transaction. */
@Injectable()
export class DataKeyRepository {
  constructor(private readonly database: Database) {}

  async current(userId: string, options: { locked: boolean }): Promise<WrappedDataKey | null> {
    const row = await this.database.first(options.locked ? CURRENT_LOCKED : CURRENT, [userId]);
    return row && toWrapped(row);
  }

  /** False when the user already has a current key (the unique index decided). */
  async insertCurrent(key: WrappedDataKey, createdAt: Date): Promise<boolean> {
    try {
      await this.database.run(INSERT_CURRENT, [key.id, key.userId, key.userId, key.serverKeyId, key.wrappedKey, createdAt]);
      return true;
    } catch (error) {
      if (isUniqueViolation(error)) {
        return false;
      }
      throw error;
    }
  }

  async byId(userId: string, keyId: string): Promise<WrappedDataKey | null> {
    const row = await this.database.first(BY_ID, [keyId, userId]);
    return row && toWrapped(row);
  }

  async ofUser(userId: string): Promise<WrappedDataKey[]> {
    return (await this.database.rows(OF_USER, [userId])).map(toWrapped);
  }

  /** Locks the user's keys (and, on MySQL, the index range where new ones would go). */
  async lockOfUser(userId: string): Promise<DataKeyAge[]> {
    return (await this.database.rows(OF_USER_LOCKED, [userId])).map((row) => ({ id: row.id, createdAt: readDate(row.created_at) }));
  }

  async delete(userId: string, keyId: string): Promise<boolean> {
    return (await this.database.run(DELETE, [keyId, userId])).affected === 1;
  }

  /** Whether the key exists, read with a shared lock held until the transaction ends. */
  async existsLocked(userId: string, keyId: string): Promise<boolean> {
    return (await this.database.first(EXISTS_LOCKED, [keyId, userId])) !== null;
  }

  /** Records that a key was destroyed (no secret: which key, whose, when). */
  async insertTombstone(userId: string, keyId: string, destroyedAt: Date): Promise<void> {
    await this.database.run(INSERT_TOMBSTONE, [keyId, userId, destroyedAt]);
  }

  async tombstone(userId: string, keyId: string): Promise<Date | null> {
    const row = await this.database.first(TOMBSTONE, [keyId, userId]);
    return row && readDate(row.destroyed_at);
  }

  async latestTombstone(userId: string): Promise<Date | null> {
    const row = await this.database.first(LATEST_TOMBSTONE, [userId]);
    return row && readDate(row.destroyed_at);
  }

  async retire(userId: string, keyId: string, retiredAt: Date): Promise<boolean> {
    return (await this.database.run(RETIRE, [retiredAt, keyId, userId])).affected === 1;
  }

  /** Up to `limit` keys not wrapped under `serverKeyId`, by id after `afterId`, locked. */
  async lockNotUnderServerKey(serverKeyId: string, afterId: string, limit: number): Promise<WrappedDataKey[]> {
    return (await this.database.rows(NOT_UNDER_SERVER_KEY, [serverKeyId, afterId, limit])).map(toWrapped);
  }

  /** False when the row changed since it was read (destroyed, or re-wrapped by another run). */
  async rewrap(key: WrappedDataKey, serverKeyId: string, wrappedKey: Uint8Array): Promise<boolean> {
    return (await this.database.run(REWRAP, [serverKeyId, wrappedKey, key.id, key.serverKeyId])).affected === 1;
  }

  async countByServerKey(): Promise<Map<string, number>> {
    const rows = await this.database.rows(COUNT_BY_SERVER_KEY);
    return new Map(rows.map((row) => [row.server_key_id, readInteger(row.data_keys)]));
  }
}

function toWrapped(row: WrappedRow): WrappedDataKey {
  return { id: row.id, userId: row.user_id, serverKeyId: row.server_key_id, wrappedKey: row.wrapped_key };
}
