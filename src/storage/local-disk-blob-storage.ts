import { randomUUID } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, open, readdir, readFile, rename, stat, unlink } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { BlobExpectations, BlobNotFoundError, BlobStorage, StoredBlob, UndeletedBlobs } from './blob-storage';
import { ContentMeter, feedMeter } from './content-meter';
import { assertValidStorageKey } from './storage-key';

/** Staged uploads live beside the blobs, so making them visible is a rename on the same file system. */
const STAGING_DIRECTORY = '.incoming';
const STAGING_SUFFIX = '.part';

/** Blobs as files under one root directory: `<root>/<key>`. */
export class LocalDiskBlobStorage extends BlobStorage {
  constructor(private readonly root: string) {
    super();
  }

  async put(key: string, source: Readable, expected: BlobExpectations): Promise<StoredBlob> {
    const target = this.pathOf(key);
    const staging = join(this.root, STAGING_DIRECTORY, `${randomUUID()}${STAGING_SUFFIX}`);
    await mkdir(dirname(staging), { recursive: true });
    const meter = new ContentMeter(expected);
    const written = pipeline(meter, createWriteStream(staging, { flags: 'wx', mode: 0o600 }));
    const release = feedMeter(source, meter);
    try {
      await written;
      release('stored');
      await mkdir(dirname(target), { recursive: true });
      await rename(staging, target);
    } catch (error) {
      release('failed');
      await unlink(staging).catch(() => undefined);
      throw meter.refusal ?? error;
    }
    return { sizeBytes: meter.sizeBytes, sha256: meter.sha256 };
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

  async deleteMany(keys: readonly string[]): Promise<UndeletedBlobs> {
    const outcomes = await Promise.allSettled(keys.map((key) => this.delete(key)));
    const undeleted = new Map<string, string>();
    outcomes.forEach((outcome, index) => {
      if (outcome.status === 'rejected') {
        undeleted.set(keys[index], outcome.reason instanceof Error ? outcome.reason.message : String(outcome.reason));
      }
    });
    return undeleted;
  }

  read(key: string): Promise<Buffer> {
    return readFile(this.pathOf(key));
  }

  async openRead(key: string): Promise<Readable> {
    // Opened first, so a missing file rejects here rather than as a stream error mid-answer.
    const handle = await open(this.pathOf(key), 'r').catch((error: NodeJS.ErrnoException) => {
      throw error.code === 'ENOENT' ? new BlobNotFoundError() : error;
    });
    return handle.createReadStream();
  }

  async sweepAbandoned(olderThan: Date): Promise<number> {
    const directory = join(this.root, STAGING_DIRECTORY);
    const names = await readdir(directory).catch((error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT') {
        return [];
      }
      throw error;
    });
    let dropped = 0;
    for (const name of names.filter((entry) => entry.endsWith(STAGING_SUFFIX))) {
      const path = join(directory, name);
      const staged = await stat(path).catch(() => undefined);
      if (
        staged &&
        staged.mtime < olderThan &&
        (await unlink(path).then(
          () => true,
          () => false,
        ))
      ) {
        dropped += 1;
      }
    }
    return dropped;
  }

  /** Local disk is checked where it is used: a missing directory is created by the first upload. */
  async checkReachable(): Promise<void> {}

  private pathOf(key: string): string {
    assertValidStorageKey(key);
    return join(this.root, key);
  }
}
