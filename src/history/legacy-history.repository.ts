import { Injectable } from '@nestjs/common';
import { Database } from '../database/database';
import { readInteger } from '../database/sql-values';
import { statement } from '../database/statement';
import { HistoryOwner, StoredText } from './history.repository';

/** A legacy row (written before content was encrypted): its owner, and for a file its bytes' record. */
export type LegacyItem = HistoryOwner & { readonly id: number };
export type LegacyFile = LegacyItem & { readonly storageKey: string; readonly sha256: string; readonly sizeBytes: number };

type ItemRow = { id: unknown; user_id: string; organization_id: string };
type FileRow = ItemRow & { storage_key: string; sha256: string; size_bytes: unknown };

const LEGACY = 'data_key_id IS NULL';
const COUNT_LEGACY = statement<{ messages: unknown; files: unknown }>(
  'history.legacy.count',
  `SELECT (SELECT COUNT(*) FROM messages WHERE ${LEGACY}) AS messages, (SELECT COUNT(*) FROM files WHERE ${LEGACY}) AS files`,
);
const LEGACY_MESSAGES = statement<ItemRow>(
  'history.legacy.messagesAfter',
  `SELECT id, user_id, organization_id FROM messages WHERE ${LEGACY} AND id > ? ORDER BY id LIMIT ?`,
);
const LEGACY_MESSAGE_LOCKED = statement<{ subject: StoredText; body: StoredText }>(
  'history.legacy.messageLocked',
  `SELECT subject, body FROM messages WHERE id = ? AND ${LEGACY}`,
  { lock: 'update' },
);
const SEAL_MESSAGE = statement(
  'history.legacy.sealMessage',
  `UPDATE messages SET subject = ?, body = ?, data_key_id = ? WHERE id = ? AND ${LEGACY}`,
);
const LEGACY_FILES = statement<FileRow>(
  'history.legacy.filesAfter',
  `SELECT id, user_id, organization_id, storage_key, sha256, size_bytes FROM files WHERE ${LEGACY} AND id > ? ORDER BY id LIMIT ?`,
);
const LEGACY_FILE_LOCKED = statement<{ name: StoredText }>(
  'history.legacy.fileLocked',
  `SELECT name FROM files WHERE id = ? AND storage_key = ? AND ${LEGACY}`,
  { lock: 'update' },
);
const SEAL_FILE = statement(
  'history.legacy.sealFile',
  `UPDATE files SET name = ?, data_key_id = ?, storage_key = ? WHERE id = ? AND storage_key = ? AND ${LEGACY}`,
);

/** The rows written before history content was encrypted, and sealing them in place. */
@Injectable()
export class LegacyHistoryRepository {
  constructor(private readonly database: Database) {}

  async count(): Promise<{ messages: number; files: number }> {
    const row = await this.database.first(COUNT_LEGACY);
    return { messages: readInteger(row?.messages ?? 0), files: readInteger(row?.files ?? 0) };
  }

  async messagesAfter(afterId: number, limit: number): Promise<LegacyItem[]> {
    return (await this.database.rows(LEGACY_MESSAGES, [afterId, limit])).map(toItem);
  }

  /** The message's text while it is still legacy, locked until the transaction ends. */
  async lockMessage(id: number): Promise<{ subject: StoredText; body: StoredText } | null> {
    return this.database.first(LEGACY_MESSAGE_LOCKED, [id]);
  }

  async sealMessage(id: number, sealed: { subject: Uint8Array; body: Uint8Array; dataKeyId: string }): Promise<boolean> {
    return (await this.database.run(SEAL_MESSAGE, [sealed.subject, sealed.body, sealed.dataKeyId, id])).affected === 1;
  }

  async filesAfter(afterId: number, limit: number): Promise<LegacyFile[]> {
    return (await this.database.rows(LEGACY_FILES, [afterId, limit])).map((row) => ({
      ...toItem(row),
      storageKey: row.storage_key,
      sha256: row.sha256,
      sizeBytes: readInteger(row.size_bytes),
    }));
  }

  /** The file's name while it is still legacy with these bytes, locked until the transaction ends. */
  async lockFile(id: number, storageKey: string): Promise<StoredText | null> {
    return (await this.database.first(LEGACY_FILE_LOCKED, [id, storageKey]))?.name ?? null;
  }

  async sealFile(id: number, from: string, sealed: { name: Uint8Array; dataKeyId: string; storageKey: string }): Promise<boolean> {
    return (await this.database.run(SEAL_FILE, [sealed.name, sealed.dataKeyId, sealed.storageKey, id, from])).affected === 1;
  }
}

function toItem(row: ItemRow): LegacyItem {
  return { id: readInteger(row.id), userId: row.user_id, organizationId: row.organization_id };
}
