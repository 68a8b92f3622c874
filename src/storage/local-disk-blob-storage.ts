import { createHash, randomUUID } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, readFile, rename, unlink } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { finished, Readable, Transform, TransformCallback } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { BlobSourceInterruptedError, BlobStorage, BlobTooLargeError, StagedBlob } from './blob-storage';
import { assertValidStorageKey } from './storage-key';

/** Staged uploads live beside the blobs, so committing is a rename on the same file system. */
const STAGING_DIRECTORY = '.incoming';

/** Blobs as files under one root directory: `<root>/<key>`. */
export class LocalDiskBlobStorage extends BlobStorage {
  constructor(private readonly root: string) {
    super();
  }

  async stage(source: Readable, maxBytes: number): Promise<StagedBlob> {
    const stagingId = randomUUID();
    const path = this.stagingPath(stagingId);
    await mkdir(dirname(path), { recursive: true });
    const hash = createHash('sha256');
    let sizeBytes = 0;
    const meter = new Transform({
      transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
        sizeBytes += chunk.length;
        if (sizeBytes > maxBytes) {
          callback(new BlobTooLargeError(maxBytes));
          return;
        }
        hash.update(chunk);
        callback(null, chunk);
      },
    });
    const written = pipeline(meter, createWriteStream(path, { flags: 'wx', mode: 0o600 }));
    // Piped rather than part of the pipeline, so refusing the content does not destroy the source:
    // an HTTP request stays able to carry its 413 response. A source that closes before its end
    // (with or without an error) would otherwise leave the staging file open forever.
    const stopWatching = finished(source, { writable: false }, (error) => {
      if (error) {
        meter.destroy(new BlobSourceInterruptedError(error));
      }
    });
    source.pipe(meter);
    try {
      await written;
    } catch (error) {
      source.unpipe(meter);
      source.resume();
      await unlink(path).catch(() => undefined);
      throw error;
    } finally {
      stopWatching();
    }
    return { stagingId, sizeBytes, sha256: hash.digest('hex') };
  }

  async commit(staged: StagedBlob, key: string): Promise<void> {
    const target = this.pathOf(key);
    await mkdir(dirname(target), { recursive: true });
    await rename(this.stagingPath(staged.stagingId), target);
  }

  async discard(staged: StagedBlob): Promise<void> {
    await unlink(this.stagingPath(staged.stagingId)).catch(() => undefined);
  }

  async delete(key: string): Promise<boolean> {
    try {
      await unlink(this.pathOf(key));
      return true;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
        return false;
      }
      throw error;
    }
  }

  read(key: string): Promise<Buffer> {
    return readFile(this.pathOf(key));
  }

  private pathOf(key: string): string {
    assertValidStorageKey(key);
    return join(this.root, key);
  }

  private stagingPath(stagingId: string): string {
    return join(this.root, STAGING_DIRECTORY, `${stagingId}.part`);
  }
}
