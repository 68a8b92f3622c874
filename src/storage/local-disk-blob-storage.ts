import { randomUUID } from 'node:crypto';
import { mkdir, open, readdir, readFile, rename, rmdir, stat, unlink } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { BlobExpectations, BlobNotFoundError, BlobStorage, ListedBlob, StoredBlob, UndeletedBlobs } from './blob-storage';
import { ContentMeter, feedMeter } from './content-meter';
import { StagingFileWriter, StoredFileReader } from './staged-file-streams';
import { assertValidStorageKey, isStorageKey } from './storage-key';

/** Staged uploads live beside the blobs, so making them visible is a rename on the same file system. */
const STAGING_DIRECTORY = '.incoming';
const STAGING_SUFFIX = '.part';
const LIST_PAGE = 500;
/**
 * Bytes per read of a download: large reads mean fewer system calls and stream turns per file,
 * and match the chunks of encrypted files (file-format.ts), which a reader opens whole.
 */
const READ_BYTES = 1024 * 1024;
/** Times a put re-creates its folder when a purge's clean-up removed it between mkdir and rename. */
const FOLDER_ATTEMPTS = 3;

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
    const written = pipeline(meter, new StagingFileWriter(staging));
    const release = feedMeter(source, meter);
    try {
      await written;
      release('stored');
      await this.moveIntoFolder(staging, target);
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
    return new StoredFileReader(handle, READ_BYTES);
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

  async *list(): AsyncIterable<ListedBlob[]> {
    let page: ListedBlob[] = [];
    for (const key of await this.keysUnder('', 0)) {
      const stored = await stat(join(this.root, key)).catch(() => undefined);
      if (stored?.isFile()) {
        page.push({ key, modifiedAt: stored.mtime });
      }
      if (page.length >= LIST_PAGE) {
        yield page;
        page = [];
      }
    }
    if (page.length > 0) {
      yield page;
    }
  }

  async removeEmptyFolder(prefix: string): Promise<void> {
    try {
      // rmdir refuses a folder with anything in it: an upload landing meanwhile keeps it.
      await rmdir(this.pathOf(prefix));
    } catch (error) {
      if (!['ENOENT', 'ENOTEMPTY', 'EEXIST'].includes((error as NodeJS.ErrnoException).code ?? '')) {
        throw error;
      }
    }
  }

  /** Local disk is checked where it is used: a missing directory is created by the first upload. */
  async checkReachable(): Promise<void> {}

  /**
   * mkdir -p then rename: if the folder vanished in between (a purge of the user's previous
   * history removing it as empty), it is created again and the rename retried.
   */
  private async moveIntoFolder(staging: string, target: string): Promise<void> {
    for (let attempt = 1; ; attempt += 1) {
      await mkdir(dirname(target), { recursive: true });
      try {
        await rename(staging, target);
        return;
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'ENOENT' || attempt >= FOLDER_ATTEMPTS) {
          throw error;
        }
      }
    }
  }

  /** Keys (relative paths) of the files under `relative`, staging aside; storage keys are `<org>/<user>/<name>`. */
  private async keysUnder(relative: string, depth: number): Promise<string[]> {
    const entries = await readdir(join(this.root, relative), { withFileTypes: true }).catch((error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT' || error.code === 'ENOTDIR') {
        return [];
      }
      throw error;
    });
    const keys: string[] = [];
    for (const entry of entries) {
      const key = relative === '' ? entry.name : `${relative}/${entry.name}`;
      if (entry.name === STAGING_DIRECTORY || !isStorageKey(key)) {
        continue;
      }
      if (entry.isDirectory() && depth < 2) {
        keys.push(...(await this.keysUnder(key, depth + 1)));
      } else if (entry.isFile() && depth === 2) {
        // Only what history stores; anything else an operator keeps in the directory is not the sweep's.
        keys.push(key);
      }
    }
    return keys;
  }

  private pathOf(key: string): string {
    assertValidStorageKey(key);
    return join(this.root, key);
  }
}
