import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DomainErrorCode } from '../../../src/common/domain-error';
import { Settings } from '../../../src/config/settings';
import { DataKeys } from '../../../src/content-encryption/data-keys.service';
import { FILE_CHUNK_BYTES } from '../../../src/content-encryption/file-format';
import { Database } from '../../../src/database/database';
import { statement } from '../../../src/database/statement';
import { UPLOAD_MEDIA_TYPE } from '../../../src/history/content-digest';
import { HistoryContent } from '../../../src/history/history-content';
import { pageRequest } from '../../../src/history/history-cursor';
import { HistoryReader } from '../../../src/history/history-reader';
import { HistoryRepository } from '../../../src/history/history.repository';
import { HistoryService } from '../../../src/history/history.service';
import { LocalDiskBlobStorage } from '../../../src/storage/local-disk-blob-storage';
import { contentEncryption, newServerKey, serverKeyRing } from '../support/data-key-fixtures';
import { addFiles, addMessages, addOrganization, addUser, idsOf, Owner } from '../support/history-owners';
import { IntegrationDatabase, openIntegrationDatabase } from '../support/integration-database';

const MAX_BYTES = 4 * FILE_CHUNK_BYTES;
const settings = { fileStorage: { uploadMaxBytes: MAX_BYTES } } as Settings;
const DEACTIVATE = statement('test.historyEncryption.deactivate', 'UPDATE users SET active = ? WHERE id = ?');
type RawRow = { subject: Uint8Array | string; body: Uint8Array | string; data_key_id: string | null };
const RAW_MESSAGE = statement<RawRow>('test.historyEncryption.rawMessage', 'SELECT subject, body, data_key_id FROM messages WHERE id = ?');
const RAW_FILE = statement<{ name: Uint8Array | string; data_key_id: string | null }>(
  'test.historyEncryption.rawFile',
  'SELECT name, data_key_id FROM files WHERE id = ?',
);

function upload(content: Buffer, name = 'notes.txt') {
  const meta = {
    name,
    declaredSha256: createHash('sha256').update(content).digest('hex'),
    contentType: UPLOAD_MEDIA_TYPE,
    contentLength: content.length,
  };
  return { meta, body: Readable.from([content]) };
}

async function readAll(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) {
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

const filesUnder = (directory: string): string[] => (existsSync(directory) ? readdirSync(directory) : []);

const text = (value: Uint8Array | string): string => (typeof value === 'string' ? value : Buffer.from(value).toString('latin1'));

/** History content at rest: sealed on write, opened on read, refused once its key is gone or it was damaged. */
describe('history content encryption', () => {
  let opened: IntegrationDatabase;
  let database: Database;
  let storageRoot: string;
  let dataKeys: DataKeys;
  let history: HistoryService;
  let reader: HistoryReader;
  let organizationId: string;

  beforeAll(async () => {
    opened = await openIntegrationDatabase();
    database = opened.database;
    storageRoot = mkdtempSync(join(tmpdir(), 'scim-history-enc-'));
    dataKeys = contentEncryption(database, serverKeyRing(newServerKey())).dataKeys;
    const storage = new LocalDiskBlobStorage(storageRoot);
    const repository = new HistoryRepository(database);
    const content = new HistoryContent(dataKeys);
    history = new HistoryService(database, repository, storage, settings, dataKeys, content);
    reader = new HistoryReader(repository, dataKeys, content, history);
    organizationId = await addOrganization(database);
  });

  afterAll(async () => {
    await opened.close();
    rmSync(storageRoot, { recursive: true, force: true });
  });

  const user = (): Promise<Owner> => addUser(database, organizationId);

  it('stores subject, body and file name sealed under the current data key, and reads them back', async () => {
    const owner = await user();
    const marker = `marker-${Date.now()}`;
    const message = await history.addMessage(organizationId, owner.userId, { subject: `${marker} subject`, body: `${marker} body` });
    const file = await history.addFile(
      organizationId,
      owner.userId,
      upload(Buffer.from(`${marker} bytes`), `${marker}.txt`).meta,
      upload(Buffer.from(`${marker} bytes`)).body,
    );
    const key = await dataKeys.currentKey(owner.userId);
    const rawMessage = await database.first(RAW_MESSAGE, [message.id]);
    const rawFile = await database.first(RAW_FILE, [file.id]);
    expect(rawMessage?.data_key_id).toBe(key.id);
    expect(rawFile?.data_key_id).toBe(key.id);
    for (const value of [rawMessage?.subject, rawMessage?.body, rawFile?.name]) {
      expect(text(value ?? '')).not.toContain(marker);
    }
    expect(await history.ownMessage(organizationId, owner.userId, message.id)).toMatchObject({
      subject: `${marker} subject`,
      body: `${marker} body`,
    });
    expect((await history.openOwnFile(organizationId, owner.userId, file.id)).name).toBe(`${marker}.txt`);
  });

  it('pages messages and files newest first with an opaque cursor, decrypted; legacy plaintext rows read as they are', async () => {
    const owner = await user();
    const [legacyMessage] = await addMessages(database, owner, 1);
    const [legacyFile] = await addFiles(database, owner, 1);
    const sealed = [];
    for (let index = 0; index < 3; index += 1) {
      sealed.push(await history.addMessage(organizationId, owner.userId, { subject: `s${index}`, body: `b${index}` }));
    }
    const first = await reader.messages(organizationId, owner.userId, pageRequest('2', undefined));
    expect(first.items.map((item) => [item.id, item.subject, item.body])).toEqual([
      [sealed[2].id, 's2', 'b2'],
      [sealed[1].id, 's1', 'b1'],
    ]);
    const second = await reader.messages(organizationId, owner.userId, pageRequest('2', first.nextCursor ?? undefined));
    expect(second.items.map((item) => [item.id, item.subject, item.body])).toEqual([
      [sealed[0].id, 's0', 'b0'],
      [legacyMessage, 's0', 'b'],
    ]);
    expect(second.nextCursor).toBeNull();
    const file = await history.addFile(
      organizationId,
      owner.userId,
      upload(Buffer.from('abc'), 'new.txt').meta,
      upload(Buffer.from('abc')).body,
    );
    const files = await reader.files(organizationId, owner.userId, pageRequest(undefined, undefined));
    expect(files.items.map((item) => [item.id, item.name, item.sizeBytes])).toEqual([
      [file.id, 'new.txt', 3],
      [legacyFile, 'f0', 100],
    ]);
    expect(files.nextCursor).toBeNull();
  });

  it('refuses a limit or cursor it did not hand out with a clear 400-kind error', () => {
    for (const [limit, cursor] of [
      ['0', undefined],
      ['201', undefined],
      ['ten', undefined],
      [undefined, 'not-a-cursor'],
      [undefined, 'MDA'],
    ]) {
      expect(() => pageRequest(limit, cursor)).toThrow(expect.objectContaining({ code: DomainErrorCode.InvalidInput }) as Error);
    }
  });

  it('a deactivated user whose keys were destroyed: lists and content are 410 with the time; the tombstone says when', async () => {
    const owner = await user();
    const message = await history.addMessage(organizationId, owner.userId, { subject: 's', body: 'b' });
    const file = await history.addFile(organizationId, owner.userId, upload(Buffer.from('xyz')).meta, upload(Buffer.from('xyz')).body);
    await database.transaction(async () => {
      await database.run(DEACTIVATE, [false, owner.userId]);
      await dataKeys.destroyUserKeys(owner.userId);
    });
    const destroyedAt = await dataKeys.destroyedAt(owner.userId);
    expect(destroyedAt).toBeInstanceOf(Date);
    const gone = { code: DomainErrorCode.ContentShredded, message: `The content was crypto-shredded at ${destroyedAt?.toISOString()}.` };
    await expect(reader.messages(organizationId, owner.userId, pageRequest(undefined, undefined))).rejects.toMatchObject(gone);
    await expect(reader.files(organizationId, owner.userId, pageRequest(undefined, undefined))).rejects.toMatchObject(gone);
    await expect(reader.fileContent(organizationId, owner.userId, file.id)).rejects.toMatchObject(gone);
    await expect(history.ownMessage(organizationId, owner.userId, message.id)).rejects.toMatchObject(gone);
  });

  it('after a reactivation, items under the destroyed key are left out of lists and their content is 410; new ones read', async () => {
    const owner = await user();
    const old = await history.addMessage(organizationId, owner.userId, { subject: 'old', body: 'b' });
    const oldFile = await history.addFile(organizationId, owner.userId, upload(Buffer.from('old')).meta, upload(Buffer.from('old')).body);
    await dataKeys.destroyUserKeys(owner.userId);
    const fresh = await history.addMessage(organizationId, owner.userId, { subject: 'new', body: 'b' });
    expect((await reader.messages(organizationId, owner.userId, pageRequest(undefined, undefined))).items.map((item) => item.id)).toEqual([
      fresh.id,
    ]);
    expect((await reader.files(organizationId, owner.userId, pageRequest(undefined, undefined))).items).toEqual([]);
    expect((await history.page(organizationId, owner.userId, 0, 10)).items.map((item) => item.id)).toEqual([fresh.id]);
    await expect(history.ownMessage(organizationId, owner.userId, old.id)).rejects.toMatchObject({ code: DomainErrorCode.ContentShredded });
    await expect(reader.fileContent(organizationId, owner.userId, oldFile.id)).rejects.toMatchObject({
      code: DomainErrorCode.ContentShredded,
    });
    expect(await dataKeys.keyDestroyedAt(owner.userId, (await dataKeys.currentKey(owner.userId)).id)).toBeNull();
  });

  it('holds a key only while it exists: an upload whose key was destroyed meanwhile is refused', async () => {
    const owner = await user();
    const key = await dataKeys.currentKey(owner.userId);
    expect(await database.transaction(() => dataKeys.holdKey(owner.userId, key.id))).toBe(true);
    await dataKeys.destroyUserKeys(owner.userId);
    expect(await database.transaction(() => dataKeys.holdKey(owner.userId, key.id))).toBe(false);
  });

  it('an upload whose key is destroyed while its bytes stream (deactivation and reactivation) is refused: no row, no bytes', async () => {
    const owner = await user();
    const content = Buffer.alloc(3 * FILE_CHUNK_BYTES, 3);
    const { meta } = upload(content);
    const body = Readable.from(
      (async function* streamed() {
        yield content.subarray(0, FILE_CHUNK_BYTES);
        // Both commit while the upload streams: the key it encrypts under is gone, the owner active again.
        await dataKeys.destroyUserKeys(owner.userId);
        await dataKeys.currentKey(owner.userId);
        yield content.subarray(FILE_CHUNK_BYTES);
      })(),
    );
    await expect(history.addFile(organizationId, owner.userId, meta, body)).rejects.toMatchObject({ code: DomainErrorCode.UserInactive });
    expect(await idsOf(database, 'files', owner.userId)).toEqual([]);
    expect(filesUnder(join(storageRoot, organizationId, owner.userId))).toEqual([]);
  });

  it('a tampered chunk or a truncated file is 422 before any byte; damage deep in a large file fails the stream', async () => {
    const owner = await user();
    const small = await history.addFile(organizationId, owner.userId, upload(Buffer.from('small')).meta, upload(Buffer.from('small')).body);
    const bytes = Buffer.alloc(2 * FILE_CHUNK_BYTES + 10, 7);
    const large = await history.addFile(organizationId, owner.userId, upload(bytes).meta, upload(bytes).body);
    const flip = (storageKey: string, offset: number): void => {
      const path = join(storageRoot, storageKey);
      const stored = readFileSync(path);
      stored[offset] ^= 1;
      writeFileSync(path, stored);
    };
    flip(small.storageKey, 60);
    await expect(reader.fileContent(organizationId, owner.userId, small.id)).rejects.toMatchObject({
      code: DomainErrorCode.ContentDamaged,
    });
    flip(large.storageKey, readFileSync(join(storageRoot, large.storageKey)).length - 5);
    const download = await reader.fileContent(organizationId, owner.userId, large.id);
    await expect(readAll(download.content)).rejects.toThrow(/authenticate/);
    const truncatedPath = join(storageRoot, large.storageKey);
    writeFileSync(truncatedPath, readFileSync(truncatedPath).subarray(0, 40));
    await expect(reader.fileContent(organizationId, owner.userId, large.id)).rejects.toMatchObject({
      code: DomainErrorCode.ContentDamaged,
    });
  });
});
