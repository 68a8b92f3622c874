import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { markReleasable } from '../common/released-buffers';
import { BlobDigestMismatchError, BlobNotFoundError, BlobSourceInterruptedError } from './blob-storage';
import { LocalDiskBlobStorage } from './local-disk-blob-storage';

const sha256 = (text: string): string => createHash('sha256').update(text).digest('hex');

describe('LocalDiskBlobStorage', () => {
  let root: string;
  let storage: LocalDiskBlobStorage;

  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'blob-storage-'));
    storage = new LocalDiskBlobStorage(root);
  });

  afterEach(() => {
    rmSync(root, { recursive: true, force: true });
  });

  const staged = (): string[] => readdirSync(join(root, '.incoming'));

  it('stores the bytes of a source that ends with the declared digest, and stages nothing after', async () => {
    const source = new PassThrough();
    const storing = storage.put('org/user/file', source, { maxBytes: 100, sha256: sha256('hello') });
    source.end(Buffer.from('hello'));
    expect(await storing).toEqual({ sizeBytes: 5, sha256: sha256('hello') });
    expect((await storage.read('org/user/file')).toString()).toBe('hello');
    expect(staged()).toEqual([]);
  });

  it('streams stored bytes back exactly, and refuses a missing key before any byte with BlobNotFoundError', async () => {
    // More than one read: the bytes stream back, never read whole.
    const content = Buffer.alloc(2_500_000, 'abc');
    const source = new PassThrough();
    const storing = storage.put('org/user/big', source, {
      maxBytes: content.length,
      sha256: createHash('sha256').update(content).digest('hex'),
    });
    source.end(content);
    await storing;
    const chunks: Buffer[] = [];
    for await (const chunk of await storage.openRead('org/user/big')) {
      chunks.push(chunk as Buffer);
    }
    expect(chunks.length).toBeGreaterThan(1);
    expect(Buffer.compare(Buffer.concat(chunks), content)).toBe(0);
    await expect(storage.openRead('org/user/absent')).rejects.toBeInstanceOf(BlobNotFoundError);
  });

  it('gives back the memory of buffers marked releasable once they are written, never before', async () => {
    const pieces = [Buffer.alloc(300_000, 'x'), Buffer.alloc(300_000, 'y')].map((piece) => markReleasable(piece));
    const kept = Buffer.alloc(10_000, 'z');
    const stored = await storage.put('org/user/released', Readable.from([...pieces, kept]), { maxBytes: 1_000_000 });
    expect(stored.sizeBytes).toBe(610_000);
    expect(pieces.map((piece) => piece.length)).toEqual([0, 0]);
    expect(kept.length).toBe(10_000);
    const onDisk = await storage.read('org/user/released');
    expect(onDisk.equals(Buffer.concat([Buffer.alloc(300_000, 'x'), Buffer.alloc(300_000, 'y'), kept]))).toBe(true);
  });

  it('keeps nothing of bytes with another digest', async () => {
    const source = new PassThrough();
    const storing = storage.put('org/user/file', source, { maxBytes: 100, sha256: sha256('other') });
    source.end(Buffer.from('hello'));
    await expect(storing).rejects.toBeInstanceOf(BlobDigestMismatchError);
    expect(existsSync(join(root, 'org/user/file'))).toBe(false);
    expect(staged()).toEqual([]);
  });

  it.each([
    ['closes without an error', (source: PassThrough) => source.destroy()],
    ['fails', (source: PassThrough) => source.destroy(new Error('connection reset'))],
  ])('refuses a source that %s before its end, and keeps nothing', async (_case, interrupt) => {
    const source = new PassThrough();
    const storing = storage.put('org/user/file', source, { maxBytes: 100, sha256: sha256('part of it') });
    source.write(Buffer.from('part of it'));
    await new Promise((resolve) => setTimeout(resolve, 20));
    interrupt(source);
    await expect(storing).rejects.toBeInstanceOf(BlobSourceInterruptedError);
    expect(staged()).toEqual([]);
    expect(existsSync(join(root, 'org/user/file'))).toBe(false);
  });

  it('deletes many keys, already-gone counting as deleted, and names the ones it could not delete', async () => {
    for (const key of ['a/1', 'a/2']) {
      const source = new PassThrough();
      const storing = storage.put(key, source, { maxBytes: 10, sha256: sha256('x') });
      source.end('x');
      await storing;
    }
    // A directory in place of a file: unlink refuses it.
    mkdirSync(join(root, 'a', 'stuck', 'inside'), { recursive: true });
    const undeleted = await storage.deleteMany(['a/1', 'a/2', 'a/missing', 'a/stuck']);
    expect([...undeleted.keys()]).toEqual(['a/stuck']);
    expect(existsSync(join(root, 'a/1')) || existsSync(join(root, 'a/2'))).toBe(false);
  });

  it('sweeps staging files left idle since before the threshold, and only those', async () => {
    const directory = join(root, '.incoming');
    mkdirSync(directory);
    writeFileSync(join(directory, 'old.part'), 'abandoned');
    writeFileSync(join(directory, 'new.part'), 'in progress');
    const hourAgo = new Date(Date.now() - 3_600_000);
    utimesSync(join(directory, 'old.part'), hourAgo, hourAgo);
    expect(await storage.sweepAbandoned(new Date(Date.now() - 60_000))).toBe(1);
    expect(staged()).toEqual(['new.part']);
  });

  it('lists stored blobs with their last write, staging and stray names aside', async () => {
    mkdirSync(join(root, 'org', 'user'), { recursive: true });
    writeFileSync(join(root, 'org', 'user', 'a'), 'a');
    writeFileSync(join(root, 'org', 'user', 'b'), 'b');
    utimesSync(join(root, 'org', 'user', 'b'), new Date('2030-01-01T00:00:00Z'), new Date('2030-01-01T00:00:00Z'));
    mkdirSync(join(root, '.incoming'), { recursive: true });
    writeFileSync(join(root, '.incoming', 'x.part'), 'x');
    writeFileSync(join(root, 'org', '.hidden'), 'h');
    writeFileSync(join(root, 'README'), 'not a blob');
    writeFileSync(join(root, 'org', 'notes'), 'not a blob either');
    const listed = [];
    for await (const page of storage.list()) {
      listed.push(...page);
    }
    listed.sort((x, y) => x.key.localeCompare(y.key));
    expect(listed.map((blob) => blob.key)).toEqual(['org/user/a', 'org/user/b']);
    expect(listed[1].modifiedAt.toISOString()).toBe('2030-01-01T00:00:00.000Z');
  });

  it("removes a user's folder only when empty, and tolerates one already gone", async () => {
    mkdirSync(join(root, 'org', 'user'), { recursive: true });
    writeFileSync(join(root, 'org', 'user', 'a'), 'a');
    await storage.removeEmptyFolder('org/user');
    expect(existsSync(join(root, 'org', 'user', 'a'))).toBe(true);
    rmSync(join(root, 'org', 'user', 'a'));
    await storage.removeEmptyFolder('org/user');
    expect(existsSync(join(root, 'org', 'user'))).toBe(false);
    // The organization's folder stays.
    expect(existsSync(join(root, 'org'))).toBe(true);
    await storage.removeEmptyFolder('org/user');
  });

  it('stores into a folder that a purge removed while the upload streamed', async () => {
    mkdirSync(join(root, 'org', 'user'), { recursive: true });
    const source = new PassThrough();
    const storing = storage.put('org/user/late', source, { maxBytes: 100, sha256: sha256('late') });
    await storage.removeEmptyFolder('org/user');
    expect(existsSync(join(root, 'org', 'user'))).toBe(false);
    source.end(Buffer.from('late'));
    await storing;
    expect((await storage.read('org/user/late')).toString()).toBe('late');
  });
});
