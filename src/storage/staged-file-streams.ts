import { FileHandle, open } from 'node:fs/promises';
import { Readable, Writable } from 'node:stream';
import { markReleasable, releaseIfMarked } from '../common/released-buffers';

/**
 * A stored file read as a stream of fresh buffers of `readBytes`, each marked as the consumer's to
 * release once used (common/released-buffers.ts): a download that decrypts then gives each one
 * back at once. Closes the handle when it ends or is destroyed.
 */
export class StoredFileReader extends Readable {
  constructor(
    private readonly handle: FileHandle,
    private readonly readBytes: number,
  ) {
    super({ highWaterMark: readBytes });
  }

  override _read(): void {
    const buffer = Buffer.allocUnsafeSlow(this.readBytes);
    this.handle.read(buffer, 0, this.readBytes, null).then(
      ({ bytesRead }) => {
        if (bytesRead === 0) {
          this.push(null);
        } else {
          this.push(bytesRead === buffer.length ? markReleasable(buffer) : buffer.subarray(0, bytesRead));
        }
      },
      (error: Error) => this.destroy(error),
    );
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    this.handle.close().then(
      () => callback(error),
      (closeError: Error) => callback(error ?? closeError),
    );
  }
}

/**
 * Writes a stream into a new staging file (created as the first write comes, never over an
 * existing one, readable by the service only), giving back the memory of each marked buffer once
 * its bytes are written (an upload's ciphertext, which nothing else reads). Closes the file at the
 * end (after the last write) or when destroyed; like a WriteStream, no fsync.
 */
export class StagingFileWriter extends Writable {
  private handle: FileHandle | null = null;

  constructor(private readonly path: string) {
    super();
  }

  override _construct(callback: (error?: Error | null) => void): void {
    open(this.path, 'wx', 0o600).then(
      (handle) => {
        this.handle = handle;
        callback();
      },
      (error: Error) => callback(error),
    );
  }

  override _writev(chunks: { chunk: Buffer }[], callback: (error?: Error | null) => void): void {
    const buffers = chunks.map(({ chunk }) => chunk);
    writeAll(this.handle as FileHandle, buffers).then(
      () => {
        buffers.forEach(releaseIfMarked);
        callback();
      },
      (error: Error) => callback(error),
    );
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    this._writev([{ chunk }], callback);
  }

  override _final(callback: (error?: Error | null) => void): void {
    this.closeFile().then(
      () => callback(),
      (error: Error) => callback(error),
    );
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    this.closeFile().then(
      () => callback(error),
      (closeError: Error) => callback(error ?? closeError),
    );
  }

  private async closeFile(): Promise<void> {
    const handle = this.handle;
    this.handle = null;
    await handle?.close();
  }
}

/** Writes every byte of `buffers` at the file's position, however many calls the system needs. */
async function writeAll(handle: FileHandle, buffers: Buffer[]): Promise<void> {
  let remaining = buffers.filter((buffer) => buffer.length > 0);
  while (remaining.length > 0) {
    let written = (await handle.writev(remaining)).bytesWritten;
    if (written === 0) {
      throw new Error('the staging file accepts no more bytes');
    }
    const rest: Buffer[] = [];
    for (const buffer of remaining) {
      if (written >= buffer.length) {
        written -= buffer.length;
      } else {
        rest.push(written > 0 ? buffer.subarray(written) : buffer);
        written = 0;
      }
    }
    remaining = rest;
  }
}
