import { Injectable } from '@nestjs/common';
import { Database } from '../database/database';
import { inListPlaceholders, paddedInList } from '../database/padded-in-list';
import { readBoolean, readDate, readInteger } from '../database/sql-values';
import { statement, statementFamily } from '../database/statement';

export type { FileRecord, HistoryItem, MessageRecord, MessageWithBody } from './history-records';

/**
 * A content value as stored: sealed bytes (field-cipher.ts) under the row's data key, or on a
 * legacy row (no data key) the plaintext itself, which a driver may hand back as text or bytes.
 */
export type StoredText = Uint8Array | string;

/** A row's content as stored, with the data key it is under (null: legacy plaintext). */
type Sealed = { readonly dataKeyId: string | null };

export type StoredMessage = Sealed & {
  readonly id: number;
  readonly organizationId: string;
  readonly userId: string;
  readonly subject: StoredText;
  readonly createdAt: Date;
};
export type StoredMessageWithBody = StoredMessage & { readonly body: StoredText };

export type StoredFile = Sealed & {
  readonly id: number;
  readonly organizationId: string;
  readonly userId: string;
  readonly name: StoredText;
  readonly sizeBytes: number;
  readonly sha256: string;
  readonly storageKey: string;
  readonly createdAt: Date;
};

export type StoredHistoryItem = Sealed & {
  readonly kind: 'message' | 'file';
  readonly id: number;
  readonly title: StoredText;
  readonly sizeBytes: number | null;
  readonly createdAt: Date;
};

export type NewMessage = Sealed & {
  readonly organizationId: string;
  readonly userId: string;
  readonly subject: Uint8Array;
  readonly body: Uint8Array;
};
export type NewFile = Omit<StoredFile, 'id' | 'createdAt' | 'name'> & { readonly name: Uint8Array };

/** Whose history: a user inside their organization. */
export type HistoryOwner = { readonly organizationId: string; readonly userId: string };

type MessageRow = {
  id: unknown;
  organization_id: string;
  user_id: string;
  data_key_id: string | null;
  subject: StoredText;
  created_at: unknown;
};
type FileRow = {
  id: unknown;
  organization_id: string;
  user_id: string;
  data_key_id: string | null;
  name: StoredText;
  size_bytes: unknown;
  sha256: string;
  storage_key: string;
  created_at: unknown;
};

const OWNER_CONDITION = 'id = ? AND organization_id = ? AND deleted_at IS NULL';
const OWNER_LOCKED = statement<{ active: unknown }>('history.owner.locked', `SELECT active FROM users WHERE ${OWNER_CONDITION}`, {
  lock: 'share',
});
const OWNER_EXISTS = statement<{ active: unknown }>('history.owner.exists', `SELECT active FROM users WHERE ${OWNER_CONDITION}`);

const INSERT_MESSAGE = statement(
  'history.messages.insert',
  'INSERT INTO messages (organization_id, user_id, data_key_id, subject, body) VALUES (?, ?, ?, ?, ?)',
);
const MESSAGE_COLUMNS = 'id, organization_id, user_id, data_key_id, subject, created_at';
const MESSAGE_BY_ID = statement<MessageRow>('history.messages.byId', `SELECT ${MESSAGE_COLUMNS} FROM messages WHERE id = ?`);
// Newest first by id (ids only grow); `id < ?` continues after a page's last item.
const MESSAGES_PAGE = statement<MessageRow & { body: StoredText }>(
  'history.messages.pageOfOwner',
  `SELECT ${MESSAGE_COLUMNS}, body FROM messages WHERE user_id = ? AND organization_id = ? AND id < ? ORDER BY id DESC LIMIT ?`,
);
const COUNT_MESSAGES = statement<{ count: unknown }>(
  'history.messages.countOfOwner',
  'SELECT COUNT(*) AS count FROM messages WHERE user_id = ? AND organization_id = ?',
);

const OWN_MESSAGE = statement<MessageRow & { body: StoredText }>(
  'history.messages.ownById',
  `SELECT ${MESSAGE_COLUMNS}, body FROM messages WHERE id = ? AND user_id = ? AND organization_id = ?`,
);

// Newest first across both tables; ties (same timestamp) by kind, then by the newer id.
type HistoryItemRow = {
  kind: string;
  id: unknown;
  data_key_id: string | null;
  title: StoredText;
  size_bytes: unknown;
  created_at: unknown;
};
const HISTORY_PAGE = statement<HistoryItemRow>(
  'history.items.pageOfOwner',
  `SELECT kind, id, data_key_id, title, size_bytes, created_at FROM (
     SELECT 'message' AS kind, id, data_key_id, subject AS title, NULL AS size_bytes, created_at FROM messages WHERE user_id = ? AND organization_id = ?
     UNION ALL
     SELECT 'file' AS kind, id, data_key_id, name AS title, size_bytes, created_at FROM files WHERE user_id = ? AND organization_id = ?
   ) items ORDER BY created_at DESC, kind, id DESC LIMIT ? OFFSET ?`,
);

const FILE_COLUMNS = 'id, organization_id, user_id, data_key_id, name, size_bytes, sha256, storage_key, created_at';
const INSERT_FILE = statement(
  'history.files.insert',
  'INSERT INTO files (organization_id, user_id, data_key_id, name, size_bytes, sha256, storage_key) VALUES (?, ?, ?, ?, ?, ?, ?)',
);
const FILES_PAGE = statement<FileRow>(
  'history.files.pageOfOwner',
  `SELECT ${FILE_COLUMNS} FROM files WHERE user_id = ? AND organization_id = ? AND id < ? ORDER BY id DESC LIMIT ?`,
);
const FILE_BY_ID = statement<FileRow>('history.files.byId', `SELECT ${FILE_COLUMNS} FROM files WHERE id = ?`);
const OWN_FILE = statement<FileRow>(
  'history.files.ownById',
  `SELECT ${FILE_COLUMNS} FROM files WHERE id = ? AND user_id = ? AND organization_id = ?`,
);
const COUNT_FILES = statement<{ count: unknown; bytes: unknown }>(
  'history.files.countOfOwner',
  'SELECT COUNT(*) AS count, COALESCE(SUM(size_bytes), 0) AS bytes FROM files WHERE user_id = ? AND organization_id = ?',
);

// A purge's batches: id lists padded (see paddedInList), so a batch of any size runs one of a few
// statements. Rows are locked and deleted by primary key only, as a list of ids: with the owner's
// columns in the WHERE clause MySQL may walk the owner's index instead, through every item of the
// user on each batch (and lock them all). The owner is checked on the locked rows instead.
const OWNER_ITEMS = 'user_id = ? AND organization_id = ?';
const FILES_TO_PURGE = statement<{ id: unknown; storage_key: string; size_bytes: unknown }>(
  'history.purge.filesAfter',
  `SELECT id, storage_key, size_bytes FROM files WHERE ${OWNER_ITEMS} AND id > ? AND id <= ? ORDER BY id LIMIT ?`,
);
const LOCK_FILES = statementFamily<
  string,
  { id: unknown; user_id: string; organization_id: string; size_bytes: unknown; storage_key: string }
>(
  'history.purge.lockFiles',
  (size) => `SELECT id, user_id, organization_id, size_bytes, storage_key FROM files WHERE id IN (${inListPlaceholders(size)}) ORDER BY id`,
  { lock: 'update' },
);
const DELETE_FILES = statementFamily('history.purge.deleteFiles', (size) => `DELETE FROM files WHERE id IN (${inListPlaceholders(size)})`);
const LOCK_MESSAGES = statement<{ id: unknown }>(
  'history.purge.lockMessages',
  `SELECT id FROM messages WHERE ${OWNER_ITEMS} AND id > ? AND id <= ? ORDER BY id LIMIT ?`,
  { lock: 'update' },
);
const DELETE_MESSAGES = statementFamily(
  'history.purge.deleteMessages',
  (size) => `DELETE FROM messages WHERE id IN (${inListPlaceholders(size)})`,
);
// The storage sweep's checks of listed keys. storage_key has no index (a purge would rewrite it
// page by page): first among one owner's files, by IDX_files_user; then, for the rare keys none of
// their owner's rows names, across the whole table.
const REFERENCED_KEYS_OF_OWNER = statementFamily<string, { storage_key: string }>(
  'history.storage.referencedKeysOfOwner',
  (size) => `SELECT storage_key FROM files WHERE ${OWNER_ITEMS} AND storage_key IN (${inListPlaceholders(size)})`,
);
const REFERENCED_KEYS = statementFamily<string, { storage_key: string }>(
  'history.storage.referencedKeys',
  (size) => `SELECT storage_key FROM files WHERE storage_key IN (${inListPlaceholders(size)})`,
);

/** A file a purge is to delete: its bytes first, then its row. */
export type PurgeableFile = { readonly id: number; readonly storageKey: string; readonly sizeBytes: number };
/** An item a purge deleted, as its ledger records it (messages have no bytes). */
export type DeletedItem = { readonly id: number; readonly sizeBytes: number };

/** The owner of a history as a write sees it. */
export type OwnerState = 'active' | 'inactive' | 'absent';

/** The messages and files tables, and the one read of the users table that guards writes to them. */
@Injectable()
export class HistoryRepository {
  constructor(private readonly database: Database) {}

  /**
   * The owner's state, read inside the writing transaction. On MySQL a shared lock on the user row,
   * so a concurrent deactivation (which updates that row, then records the purge's cutoffs) either
   * sees the item written after this or makes this write refuse; SQLite has one writer at a time.
   */
  async lockOwner(owner: HistoryOwner): Promise<OwnerState> {
    return ownerState(await this.database.first(OWNER_LOCKED, [owner.userId, owner.organizationId]));
  }

  async ownerState(owner: HistoryOwner): Promise<OwnerState> {
    return ownerState(await this.database.first(OWNER_EXISTS, [owner.userId, owner.organizationId]));
  }

  async insertMessage(message: NewMessage): Promise<StoredMessage> {
    const { insertId } = await this.database.run(INSERT_MESSAGE, [
      message.organizationId,
      message.userId,
      message.dataKeyId,
      message.subject,
      message.body,
    ]);
    const row = await this.database.first(MESSAGE_BY_ID, [insertId]);
    if (!row) {
      throw new Error(`message ${insertId} was not found right after its insert`);
    }
    return toMessage(row);
  }

  async insertFile(file: NewFile): Promise<StoredFile> {
    const { insertId } = await this.database.run(INSERT_FILE, [
      file.organizationId,
      file.userId,
      file.dataKeyId,
      file.name,
      file.sizeBytes,
      file.sha256,
      file.storageKey,
    ]);
    const row = await this.database.first(FILE_BY_ID, [insertId]);
    if (!row) {
      throw new Error(`file ${insertId} was not found right after its insert`);
    }
    return toFile(row);
  }

  async countMessages(owner: HistoryOwner): Promise<number> {
    const row = await this.database.first(COUNT_MESSAGES, [owner.userId, owner.organizationId]);
    return readInteger(row?.count ?? 0);
  }

  async countFiles(owner: HistoryOwner): Promise<{ count: number; bytes: number }> {
    const row = await this.database.first(COUNT_FILES, [owner.userId, owner.organizationId]);
    return { count: readInteger(row?.count ?? 0), bytes: Number(row?.bytes ?? 0) };
  }

  /** A page of the owner's messages and files, newest first. */
  async historyPage(owner: HistoryOwner, offset: number, limit: number): Promise<StoredHistoryItem[]> {
    const rows = await this.database.rows(HISTORY_PAGE, [
      owner.userId,
      owner.organizationId,
      owner.userId,
      owner.organizationId,
      limit,
      offset,
    ]);
    return rows.map(toHistoryItem);
  }

  /** The owner's file `id`, or null when there is none (another user's file is none). */
  async ownFile(owner: HistoryOwner, id: number): Promise<StoredFile | null> {
    const row = await this.database.first(OWN_FILE, [id, owner.userId, owner.organizationId]);
    return row ? toFile(row) : null;
  }

  /** The owner's message `id` with its body, or null when there is none (another user's message is none). */
  async ownMessage(owner: HistoryOwner, id: number): Promise<StoredMessageWithBody | null> {
    const row = await this.database.first(OWN_MESSAGE, [id, owner.userId, owner.organizationId]);
    return row ? { ...toMessage(row), body: row.body } : null;
  }

  /** Up to `limit` of the owner's messages with ids below `beforeId`, newest first, with their bodies. */
  async messagesPage(owner: HistoryOwner, beforeId: number, limit: number): Promise<StoredMessageWithBody[]> {
    const rows = await this.database.rows(MESSAGES_PAGE, [owner.userId, owner.organizationId, beforeId, limit]);
    return rows.map((row) => ({ ...toMessage(row), body: row.body }));
  }

  /** Up to `limit` of the owner's files with ids below `beforeId`, newest first. */
  async filesPage(owner: HistoryOwner, beforeId: number, limit: number): Promise<StoredFile[]> {
    return (await this.database.rows(FILES_PAGE, [owner.userId, owner.organizationId, beforeId, limit])).map(toFile);
  }

  /** The owner's files with ids after `afterId` and up to `throughId`, ascending; a plain read. */
  async filesToPurge(owner: HistoryOwner, afterId: number, throughId: number, limit: number): Promise<PurgeableFile[]> {
    const rows = await this.database.rows(FILES_TO_PURGE, [owner.userId, owner.organizationId, afterId, throughId, limit]);
    return rows.map((row) => ({ id: readInteger(row.id), storageKey: row.storage_key, sizeBytes: readInteger(row.size_bytes) }));
  }

  /** Those of `ids` that are still the owner's files, ascending, locked until the transaction ends, with the bytes they refer to now. */
  async lockFiles(owner: HistoryOwner, ids: readonly number[]): Promise<PurgeableFile[]> {
    if (ids.length === 0) {
      return [];
    }
    const padded = paddedInList(ids);
    const rows = await this.database.rows(LOCK_FILES.of(padded.shape), padded.values);
    return rows
      .filter((row) => row.user_id === owner.userId && row.organization_id === owner.organizationId)
      .map((row) => ({ id: readInteger(row.id), storageKey: row.storage_key, sizeBytes: readInteger(row.size_bytes) }));
  }

  /**
   * The owner's first `limit` messages after `afterId` and up to `throughId`, locked until the
   * transaction ends. The lower bound keeps each batch from walking over the entries the batches
   * before it deleted (InnoDB removes them only later).
   */
  async lockMessages(owner: HistoryOwner, afterId: number, throughId: number, limit: number): Promise<number[]> {
    const rows = await this.database.rows(LOCK_MESSAGES, [owner.userId, owner.organizationId, afterId, throughId, limit]);
    return rows.map((row) => readInteger(row.id));
  }

  /** Deletes the files `ids`, which the caller has locked (lockFiles) in this transaction; returns how many. */
  async deleteLockedFiles(ids: readonly number[]): Promise<number> {
    return this.deleteByIds(DELETE_FILES, ids);
  }

  /** Those of `keys` that one of the owner's file rows refers to. */
  async referencedStorageKeysOfOwner(owner: HistoryOwner, keys: readonly string[]): Promise<Set<string>> {
    if (keys.length === 0) {
      return new Set();
    }
    const padded = paddedInList(keys);
    const rows = await this.database.rows(REFERENCED_KEYS_OF_OWNER.of(padded.shape), [
      owner.userId,
      owner.organizationId,
      ...padded.values,
    ]);
    return new Set(rows.map((row) => row.storage_key));
  }

  /** Those of `keys` that any file row refers to: a scan of the whole table, for a few keys at a time. */
  async referencedStorageKeys(keys: readonly string[]): Promise<Set<string>> {
    if (keys.length === 0) {
      return new Set();
    }
    const padded = paddedInList(keys);
    return new Set((await this.database.rows(REFERENCED_KEYS.of(padded.shape), padded.values)).map((row) => row.storage_key));
  }

  /** Deletes the messages `ids`, which the caller has locked (lockMessages) in this transaction; returns how many. */
  async deleteLockedMessages(ids: readonly number[]): Promise<number> {
    return this.deleteByIds(DELETE_MESSAGES, ids);
  }

  private async deleteByIds(family: typeof DELETE_FILES, ids: readonly number[]): Promise<number> {
    if (ids.length === 0) {
      return 0;
    }
    const padded = paddedInList(ids);
    return (await this.database.run(family.of(padded.shape), padded.values)).affected;
  }
}

function ownerState(row: { active: unknown } | null): OwnerState {
  if (!row) {
    return 'absent';
  }
  return readBoolean(row.active) ? 'active' : 'inactive';
}

function toMessage(row: MessageRow): StoredMessage {
  return {
    id: readInteger(row.id),
    organizationId: row.organization_id,
    userId: row.user_id,
    dataKeyId: row.data_key_id,
    subject: row.subject,
    createdAt: readDate(row.created_at),
  };
}

function toHistoryItem(row: HistoryItemRow): StoredHistoryItem {
  const file = row.kind === 'file';
  return {
    kind: file ? 'file' : 'message',
    id: readInteger(row.id),
    dataKeyId: row.data_key_id,
    title: row.title,
    sizeBytes: file ? readInteger(row.size_bytes) : null,
    createdAt: readDate(row.created_at),
  };
}

function toFile(row: FileRow): StoredFile {
  return {
    id: readInteger(row.id),
    organizationId: row.organization_id,
    userId: row.user_id,
    dataKeyId: row.data_key_id,
    name: row.name,
    sizeBytes: readInteger(row.size_bytes),
    sha256: row.sha256,
    storageKey: row.storage_key,
    createdAt: readDate(row.created_at),
  };
}
