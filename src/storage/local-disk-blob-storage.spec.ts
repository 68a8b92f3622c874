import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { BlobSourceInterruptedError } from './blob-storage';
import { LocalDiskBlobStorage } from './local-disk-blob-storage';

describe('LocalDiskBlobStorage.stage', () => {
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

  it('stages the bytes of a source that ends', async () => {
    const source = new PassThrough();
    const staging = storage.stage(source, 100);
    source.end(Buffer.from('hello'));
    const blob = await staging;
    expect(blob.sizeBytes).toBe(5);
    expect(staged()).toEqual([`${blob.stagingId}.part`]);
  });

  it.each([
    ['closes without an error', (source: PassThrough) => source.destroy()],
    ['fails', (source: PassThrough) => source.destroy(new Error('connection reset'))],
  ])('refuses a source that %s before its end, and keeps nothing', async (_case, interrupt) => {
    const source = new PassThrough();
    const staging = storage.stage(source, 100);
    source.write(Buffer.from('part of it'));
    await new Promise((resolve) => setTimeout(resolve, 20));
    interrupt(source);
    await expect(staging).rejects.toBeInstanceOf(BlobSourceInterruptedError);
    expect(staged()).toEqual([]);
  });
});
