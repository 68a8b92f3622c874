import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DomainErrorCode } from '../../../src/common/domain-error';
import { Settings } from '../../../src/config/settings';
import { Database } from '../../../src/database/database';
import { DatabaseUsageError } from '../../../src/database/database-error';
import { statement } from '../../../src/database/statement';
import { UPLOAD_MEDIA_TYPE } from '../../../src/history/content-digest';
import { HistoryContent } from '../../../src/history/history-content';
import { HistoryPurgePort } from '../../../src/history/history-purge.port';
import { HistoryRepository } from '../../../src/history/history.repository';
import { HistoryService } from '../../../src/history/history.service';
import { LocalDiskBlobStorage } from '../../../src/storage/local-disk-blob-storage';
import { contentEncryption, newServerKey, serverKeyRing } from '../support/data-key-fixtures';
import { addFiles, addMessages, addOrganization, addUser, idsOf } from '../support/history-owners';
import { IntegrationDatabase, openIntegrationDatabase } from '../support/integration-database';

const MAX_BYTES = 1024;
const DATE_MESSAGE = statement('test.history.dateMessage', 'UPDATE messages SET created_at = ? WHERE id = ?');
const DATE_FILE = statement('test.history.dateFile', 'UPDATE files SET created_at = ? WHERE id = ?');
const MOVE_FILE = statement('test.history.moveFile', 'UPDATE files SET storage_key = ? WHERE id = ?');
const settings = { fileStorage: { uploadMaxBytes: MAX_BYTES } } as Settings;

function upload(content: string, declared = createHash('sha256').update(content).digest('hex')) {
  return {
    meta: { name: 'notes.txt', declaredSha256: declared, contentType: UPLOAD_MEDIA_TYPE, contentLength: Buffer.byteLength(content) },
    body: Readable.from([Buffer.from(content)]),
  };
}

/**
 * History's service, repository and purge port on the real databases, with the SQLite write guard
 * on: every write they make goes through a write turn, or this file fails.
 */
describe('history data', () => {
  let opened: IntegrationDatabase;
  let database: Database;
  let storageRoot: string;
  let storage: LocalDiskBlobStorage;
  let history: HistoryService;
  let port: HistoryPurgePort;
  let organizationId: string;

  beforeAll(async () => {
    opened = await openIntegrationDatabase();
    database = opened.database;
    storageRoot = mkdtempSync(join(tmpdir(), 'scim-history-'));
    storage = new LocalDiskBlobStorage(storageRoot);
    const repository = new HistoryRepository(database);
    const { dataKeys } = contentEncryption(database, serverKeyRing(newServerKey()));
    history = new HistoryService(database, repository, storage, settings, dataKeys, new HistoryContent(dataKeys));
    port = new HistoryPurgePort(repository);
    organizationId = await addOrganization(database);
  });

  afterAll(async () => {
    await opened.close();
    rmSync(storageRoot, { recursive: true, force: true });
  });

  it('adds messages and files to an active user and sums them up; counts only that user in that organization', async () => {
    const owner = await addUser(database, organizationId);
    const neighbour = await addUser(database, organizationId);
    await addMessages(database, neighbour, 2);
    const message = await history.addMessage(organizationId, owner.userId, { subject: 'Hello', body: 'World' });
    expect(message).toMatchObject({ organizationId, userId: owner.userId, subject: 'Hello' });
    expect(message.createdAt.getTime()).toBeGreaterThan(Date.now() - 60_000);
    const { meta, body } = upload('twelve bytes');
    const file = await history.addFile(organizationId, owner.userId, meta, body);
    expect(file).toMatchObject({ userId: owner.userId, name: 'notes.txt', sizeBytes: 12, sha256: meta.declaredSha256 });
    // Stored encrypted: the plaintext's size and digest are recorded, never its bytes.
    expect((await storage.read(file.storageKey)).includes('twelve bytes')).toBe(false);
    expect(await history.summary(organizationId, owner.userId)).toEqual({ messages: 1, files: 1, bytes: 12 });
    expect(await history.summary(organizationId, neighbour.userId)).toEqual({ messages: 2, files: 0, bytes: 0 });
  });

  it("lists one user's messages and files newest first, paged, with sizes and dates; another user's items are not theirs", async () => {
    const owner = await addUser(database, organizationId);
    const neighbour = await addUser(database, organizationId);
    const [oldMessage, newMessage] = await addMessages(database, owner, 2);
    const [oldFile, newFile] = await addFiles(database, owner, 2, 100);
    const [neighbourFile] = await addFiles(database, neighbour, 1);
    const [neighbourMessage] = await addMessages(database, neighbour, 1);
    const at = (day: number): Date => new Date(Date.UTC(2026, 0, day, 12, 0, 0));
    // Stored as each driver stores timestamps (a Date is bound as the column's own format).
    await database.transaction(async () => {
      await database.run(DATE_MESSAGE, [at(1), oldMessage]);
      await database.run(DATE_FILE, [at(2), oldFile]);
      await database.run(DATE_MESSAGE, [at(3), newMessage]);
      await database.run(DATE_FILE, [at(4), newFile]);
    });

    const all = await history.page(organizationId, owner.userId, 0, 10);
    expect(all.total).toBe(4);
    expect(all.items).toEqual([
      { kind: 'file', id: newFile, title: 'f1', sizeBytes: 101, createdAt: at(4) },
      { kind: 'message', id: newMessage, title: 's1', createdAt: at(3) },
      { kind: 'file', id: oldFile, title: 'f0', sizeBytes: 100, createdAt: at(2) },
      { kind: 'message', id: oldMessage, title: 's0', createdAt: at(1) },
    ]);
    const second = await history.page(organizationId, owner.userId, 2, 2);
    expect(second.items.map((item) => item.id)).toEqual([oldFile, oldMessage]);
    expect(second.total).toBe(4);
    expect((await history.page(organizationId, neighbour.userId, 0, 10)).items.map((item) => item.kind).sort()).toEqual([
      'file',
      'message',
    ]);

    expect(await history.ownMessage(organizationId, owner.userId, newMessage)).toMatchObject({ id: newMessage, subject: 's1', body: 'b' });
    await expect(history.ownMessage(organizationId, owner.userId, neighbourMessage)).rejects.toMatchObject({
      code: DomainErrorCode.NotFound,
    });
    await expect(history.ownMessage(await addOrganization(database), owner.userId, newMessage)).rejects.toMatchObject({
      code: DomainErrorCode.NotFound,
    });
    await expect(history.openOwnFile(organizationId, owner.userId, neighbourFile)).rejects.toMatchObject({
      code: DomainErrorCode.NotFound,
    });
    // The row without its bytes (a purge deletes bytes first): not found, as if it were gone.
    await expect(history.openOwnFile(organizationId, owner.userId, newFile)).rejects.toMatchObject({ code: DomainErrorCode.NotFound });
  });

  it("opens a user's own file as a stream of its exact bytes", async () => {
    const owner = await addUser(database, organizationId);
    const { meta, body } = upload('streamed bytes');
    const file = await history.addFile(organizationId, owner.userId, meta, body);
    const download = await history.openOwnFile(organizationId, owner.userId, file.id);
    expect(download).toMatchObject({ name: 'notes.txt', sizeBytes: 14 });
    const chunks: Buffer[] = [];
    for await (const chunk of download.content) {
      chunks.push(chunk as Buffer);
    }
    expect(Buffer.concat(chunks).toString()).toBe('streamed bytes');
  });

  it('refuses an inactive, unknown or other-organization user with a clear error and writes nothing', async () => {
    const inactive = await addUser(database, organizationId, false);
    const otherOrganization = await addOrganization(database);
    const stranger = await addUser(database, otherOrganization);
    await expect(history.addMessage(organizationId, inactive.userId, { subject: 's', body: 'b' })).rejects.toMatchObject({
      code: DomainErrorCode.UserInactive,
    });
    await expect(history.addMessage(organizationId, stranger.userId, { subject: 's', body: 'b' })).rejects.toMatchObject({
      code: DomainErrorCode.NotFound,
    });
    const { meta, body } = upload('bytes');
    await expect(history.addFile(organizationId, inactive.userId, meta, body)).rejects.toMatchObject({
      code: DomainErrorCode.UserInactive,
    });
    await expect(history.summary(organizationId, stranger.userId)).rejects.toMatchObject({ code: DomainErrorCode.NotFound });
    expect(await idsOf(database, 'messages', inactive.userId)).toEqual([]);
    expect(await idsOf(database, 'files', inactive.userId)).toEqual([]);
    expect(await idsOf(database, 'messages', stranger.userId)).toEqual([]);
  });

  it('refuses content that does not match its digest: no row, no bytes', async () => {
    const owner = await addUser(database, organizationId);
    const { meta, body } = upload('real content', 'b'.repeat(64));
    await expect(history.addFile(organizationId, owner.userId, meta, body)).rejects.toMatchObject({ code: DomainErrorCode.InvalidInput });
    expect(await idsOf(database, 'files', owner.userId)).toEqual([]);
  });

  describe('purge port', () => {
    it('reads the files after an id and up to the cutoff, of that user only, in order and bounded', async () => {
      const owner = await addUser(database, organizationId);
      const neighbour = await addUser(database, organizationId);
      const ids = await addFiles(database, owner, 3);
      await addFiles(database, neighbour, 2);
      const more = await addFiles(database, owner, 3);
      const cutoff = more[1];
      const all = await port.filesUpTo(owner, 0, cutoff, 100);
      expect(all.map((file) => file.id)).toEqual([...ids, more[0], more[1]]);
      expect(all[0]).toMatchObject({ sizeBytes: 100, storageKey: expect.stringContaining(owner.userId) as string });
      expect((await port.filesUpTo(owner, ids[0], cutoff, 2)).map((file) => file.id)).toEqual([ids[1], ids[2]]);
      expect(await port.filesUpTo({ ...owner, organizationId: await addOrganization(database) }, 0, cutoff, 100)).toEqual([]);
    });

    it("deletes only the listed files still present and the owner's, once: a list of any length, returned as deleted", async () => {
      const owner = await addUser(database, organizationId);
      const neighbour = await addUser(database, organizationId);
      await addFiles(database, owner, 6, 10);
      await addFiles(database, neighbour, 1);
      const files = await port.filesUpTo(owner, 0, Number.MAX_SAFE_INTEGER, 100);
      const [foreign] = await port.filesUpTo(neighbour, 0, Number.MAX_SAFE_INTEGER, 100);
      const first = await database.transaction(() => port.deleteFiles(owner, [files[0], files[2], files[4], foreign]));
      expect(first).toEqual({
        deleted: [
          { id: files[0].id, sizeBytes: 10 },
          { id: files[2].id, sizeBytes: 12 },
          { id: files[4].id, sizeBytes: 14 },
        ],
        moved: [],
      });
      expect(await database.transaction(() => port.deleteFiles(owner, [files[0], files[2]]))).toEqual({ deleted: [], moved: [] });
      expect(await database.transaction(() => port.deleteFiles(owner, [files[1]]))).toEqual({
        deleted: [{ id: files[1].id, sizeBytes: 11 }],
        moved: [],
      });
      expect(await database.transaction(() => port.deleteFiles(owner, []))).toEqual({ deleted: [], moved: [] });
      expect(await idsOf(database, 'files', owner.userId)).toEqual([files[3].id, files[5].id]);
      expect(await idsOf(database, 'files', neighbour.userId)).toEqual([foreign.id]);
    });

    it('keeps the row of a file that names other bytes than those deleted, and returns it with the bytes its locked row names', async () => {
      const owner = await addUser(database, organizationId);
      await addFiles(database, owner, 2, 10);
      const [read, other] = await port.filesUpTo(owner, 0, Number.MAX_SAFE_INTEGER, 100);
      // Re-encrypted by seal-legacy-history after the purge read it: the row now names new bytes.
      const resealed = `${owner.organizationId}/${owner.userId}/resealed`;
      await database.run(MOVE_FILE, [resealed, read.id]);
      expect(await database.transaction(() => port.deleteFiles(owner, [read, other]))).toEqual({
        deleted: [{ id: other.id, sizeBytes: 11 }],
        moved: [{ id: read.id, storageKey: resealed, sizeBytes: 10 }],
      });
      expect(await idsOf(database, 'files', owner.userId)).toEqual([read.id]);
      expect(await database.transaction(() => port.deleteFiles(owner, [{ ...read, storageKey: resealed }]))).toEqual({
        deleted: [{ id: read.id, sizeBytes: 10 }],
        moved: [],
      });
      expect(await idsOf(database, 'files', owner.userId)).toEqual([]);
    });

    it('deletes messages up to the cutoff in bounded batches; one written after the cutoff (after a reactivation) stays', async () => {
      const owner = await addUser(database, organizationId);
      const neighbour = await addUser(database, organizationId);
      const before = await addMessages(database, owner, 5);
      const neighbours = await addMessages(database, neighbour, 2);
      const cutoff = before[before.length - 1];
      const after = await addMessages(database, owner, 2);
      const batch = await database.transaction(() => port.deleteMessagesUpTo(owner, 0, cutoff, 3));
      expect(batch).toEqual(before.slice(0, 3).map((id) => ({ id, sizeBytes: 0 })));
      expect((await database.transaction(() => port.deleteMessagesUpTo(owner, before[2], cutoff, 3))).map((item) => item.id)).toEqual(
        before.slice(3),
      );
      expect(await database.transaction(() => port.deleteMessagesUpTo(owner, before[4], cutoff, 3))).toEqual([]);
      // From the start again (a re-run after a crash), nothing is left below the cutoff either.
      expect(await database.transaction(() => port.deleteMessagesUpTo(owner, 0, cutoff, 3))).toEqual([]);
      expect(await idsOf(database, 'messages', owner.userId)).toEqual(after);
      expect(await idsOf(database, 'messages', neighbour.userId)).toEqual(neighbours);
    });

    it('deletes only inside a transaction, so what it deletes commits with the purge ledger or not at all', async () => {
      const owner = await addUser(database, organizationId);
      const [id] = await addFiles(database, owner, 1);
      const [file] = await port.filesUpTo(owner, 0, id, 1);
      await expect(port.deleteFiles(owner, [file])).rejects.toBeInstanceOf(DatabaseUsageError);
      await expect(port.deleteMessagesUpTo(owner, 0, id, 10)).rejects.toBeInstanceOf(DatabaseUsageError);
      await expect(
        database.transaction(async () => {
          expect((await port.deleteFiles(owner, [file])).deleted).toHaveLength(1);
          throw new Error('the ledger write failed');
        }),
      ).rejects.toThrow('the ledger write failed');
      expect(await idsOf(database, 'files', owner.userId)).toEqual([id]);
    });

    it('two purges deleting the same files at once: each file is deleted, and returned, by exactly one of them', async () => {
      const owner = await addUser(database, organizationId);
      const ids = await addFiles(database, owner, 8);
      const files = await port.filesUpTo(owner, 0, Number.MAX_SAFE_INTEGER, 100);
      const [a, b] = await Promise.all([
        database.transaction(() => port.deleteFiles(owner, files)),
        database.transaction(() => port.deleteFiles(owner, [...files].reverse())),
      ]);
      expect([...a.deleted, ...b.deleted].map((file) => file.id).sort((x, y) => x - y)).toEqual(ids);
      expect(await idsOf(database, 'files', owner.userId)).toEqual([]);
    });
  });
});
