import { createHash, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Settings } from '../../../src/config/settings';
import { Database } from '../../../src/database/database';
import { statement } from '../../../src/database/statement';
import { HistoryContent } from '../../../src/history/history-content';
import { HistoryRepository } from '../../../src/history/history.repository';
import { HistoryService } from '../../../src/history/history.service';
import { LegacyHistorySealer, LegacySealProgress } from '../../../src/history/legacy-history-sealer';
import { LegacyHistoryRepository } from '../../../src/history/legacy-history.repository';
import { BlobNotFoundError } from '../../../src/storage/blob-storage';
import { LocalDiskBlobStorage } from '../../../src/storage/local-disk-blob-storage';
import { contentEncryption, newServerKey, serverKeyRing } from '../support/data-key-fixtures';
import { addMessages, addOrganization, addUser, Owner } from '../support/history-owners';
import { IntegrationDatabase, openIntegrationDatabase } from '../support/integration-database';

const INSERT_LEGACY_FILE = statement(
  'test.legacyHistory.insertFile',
  'INSERT INTO files (organization_id, user_id, name, size_bytes, sha256, storage_key) VALUES (?, ?, ?, ?, ?, ?)',
);
const RAW_MESSAGE = statement<{ subject: Uint8Array | string; data_key_id: string | null }>(
  'test.legacyHistory.rawMessage',
  'SELECT subject, data_key_id FROM messages WHERE id = ?',
);
const RAW_FILE = statement<{ name: Uint8Array | string; storage_key: string; data_key_id: string | null }>(
  'test.legacyHistory.rawFile',
  'SELECT name, storage_key, data_key_id FROM files WHERE id = ?',
);
const DELETE_LEGACY = [
  statement('test.legacyHistory.clearMessages', 'DELETE FROM messages WHERE data_key_id IS NULL'),
  statement('test.legacyHistory.clearFiles', 'DELETE FROM files WHERE data_key_id IS NULL'),
];

async function readAll(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) {
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

/** Rows from before content was encrypted, sealed in place by `seal-legacy-history`. */
describe('sealing legacy history', () => {
  let opened: IntegrationDatabase;
  let database: Database;
  let storageRoot: string;
  let storage: LocalDiskBlobStorage;
  let history: HistoryService;
  let sealer: LegacyHistorySealer;
  let organizationId: string;

  beforeAll(async () => {
    opened = await openIntegrationDatabase();
    database = opened.database;
    storageRoot = mkdtempSync(join(tmpdir(), 'scim-legacy-'));
    storage = new LocalDiskBlobStorage(storageRoot);
    const { dataKeys } = contentEncryption(database, serverKeyRing(newServerKey()));
    const repository = new HistoryRepository(database);
    const content = new HistoryContent(dataKeys);
    const settings = { fileStorage: { uploadMaxBytes: 1 << 20 } } as Settings;
    history = new HistoryService(database, repository, storage, settings, dataKeys, content);
    sealer = new LegacyHistorySealer(database, new LegacyHistoryRepository(database), repository, dataKeys, content, storage);
    organizationId = await addOrganization(database);
  });

  afterAll(async () => {
    await opened.close();
    rmSync(storageRoot, { recursive: true, force: true });
  });

  /** A file as the service stored it before encryption: plaintext bytes and name, no key. */
  async function addLegacyFile(owner: Owner, name: string, bytes: Buffer | null): Promise<{ id: number; storageKey: string }> {
    const storageKey = `${owner.organizationId}/${owner.userId}/${randomUUID()}`;
    const sha256 = createHash('sha256')
      .update(bytes ?? '')
      .digest('hex');
    if (bytes) {
      await storage.put(storageKey, Readable.from([bytes]), { maxBytes: bytes.length, sha256 });
    }
    const { insertId } = await database.run(INSERT_LEGACY_FILE, [
      owner.organizationId,
      owner.userId,
      name,
      bytes?.length ?? 0,
      sha256,
      storageKey,
    ]);
    return { id: insertId, storageKey };
  }

  it("seals active owners' messages and files, leaves deactivated owners' rows to their purge, and a re-run changes nothing", async () => {
    await database.transaction(async () => {
      for (const clear of DELETE_LEGACY) {
        await database.run(clear);
      }
    });
    const owner = await addUser(database, organizationId);
    const leaver = await addUser(database, organizationId, false);
    const messages = await addMessages(database, owner, 3);
    const [leaverMessage] = await addMessages(database, leaver, 1);
    const bytes = Buffer.from('legacy plaintext bytes '.repeat(5000));
    const file = await addLegacyFile(owner, 'legacy name.txt', bytes);
    const lost = await addLegacyFile(owner, 'lost.txt', null);
    const progress: LegacySealProgress[] = [];

    const report = await sealer.seal(2, (event) => progress.push(event));
    expect(report).toEqual({
      messages: { sealed: 3, left: 1 },
      files: { sealed: 1, left: 1 },
      remaining: { messages: 1, files: 1 },
    });
    expect(progress.at(0)).toEqual({ stage: 'messages', done: 0, total: 4 });
    expect(progress.filter((event) => event.stage === 'messages').at(-1)).toEqual({ stage: 'messages', done: 4, total: 4 });
    expect(progress.at(-1)).toEqual({ stage: 'files', done: 2, total: 2 });

    for (const id of messages) {
      const raw = await database.first(RAW_MESSAGE, [id]);
      expect(raw?.data_key_id).toEqual(expect.any(String));
      expect(Buffer.from(raw?.subject ?? '').length).toBeGreaterThan(45);
    }
    expect((await history.ownMessage(organizationId, owner.userId, messages[1])).subject).toBe('s1');
    expect((await database.first(RAW_MESSAGE, [leaverMessage]))?.data_key_id).toBeNull();

    const raw = await database.first(RAW_FILE, [file.id]);
    expect(raw?.storage_key).not.toBe(file.storageKey);
    expect(Buffer.from(raw?.name ?? '').includes('legacy name')).toBe(false);
    await expect(storage.openRead(file.storageKey)).rejects.toBeInstanceOf(BlobNotFoundError);
    expect((await storage.read(raw?.storage_key ?? '')).includes('legacy plaintext')).toBe(false);
    const download = await history.openOwnFile(organizationId, owner.userId, file.id);
    expect(download.name).toBe('legacy name.txt');
    expect((await readAll(download.content)).equals(bytes)).toBe(true);
    expect((await database.first(RAW_FILE, [lost.id]))?.data_key_id).toBeNull();

    expect(await sealer.seal(10, () => undefined)).toEqual({
      messages: { sealed: 0, left: 1 },
      files: { sealed: 0, left: 1 },
      remaining: { messages: 1, files: 1 },
    });
  });
});
