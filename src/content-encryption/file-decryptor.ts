import { createDecipheriv, KeyObject } from 'node:crypto';
import { Transform, TransformCallback } from 'node:stream';
import { markReleasable, releaseIfMarked } from '../common/released-buffers';
import { ChunkBuffer, splitTag } from './chunk-buffer';
import { ContentTamperedError, ContentTruncatedError } from './content-errors';
import { DataKey } from './data-key';
import {
  checkFileHeader,
  chunkAssociatedData,
  chunkNonce,
  encryptedFileSize,
  FILE_PREAMBLE_BYTES,
  FILE_TAG_BYTES,
  fileKey,
  fileLayout,
} from './file-format';

export type FileDecryptorOptions = {
  /** The plaintext size recorded with the file: a stream of any other length fails at once, or at its end. */
  readonly expectedPlaintextBytes?: number;
};

type OpenedHeader = {
  readonly header: Buffer;
  readonly key: KeyObject;
  readonly sealedChunkBytes: number;
  readonly expectedBytes: number | null;
};

/**
 * Decrypts a file as it streams (format in file-format.ts, any version: the header says which,
 * and the chunk size). A chunk's plaintext is passed on only after its tag verified; the first
 * chunk that does not verify fails the stream with a typed error (ContentDecryptionError), so a
 * reader gets authentic bytes and then an error, never altered ones.
 */
export class FileDecryptor extends Transform {
  private readonly pending = new ChunkBuffer();
  /** Chunks received, with the stream offset each ends at, until all of their bytes were opened. */
  private readonly unopened: { readonly chunk: Buffer; readonly end: number }[] = [];
  private opened: OpenedHeader | null = null;
  private index = 0;
  private received = 0;

  constructor(
    private readonly dataKey: DataKey,
    private readonly options: FileDecryptorOptions = {},
  ) {
    super();
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    try {
      this.received += chunk.length;
      this.pending.append(chunk);
      this.unopened.push({ chunk, end: this.received });
      const opened = this.readHeader();
      if (opened === null) {
        callback();
        return;
      }
      if (opened.expectedBytes !== null && this.received > opened.expectedBytes) {
        throw new ContentTamperedError(`the encrypted file is longer than the ${opened.expectedBytes} bytes its recorded size gives`);
      }
      // A full sealed chunk followed by more bytes cannot be the last one.
      while (this.pending.length > opened.sealedChunkBytes) {
        this.open(opened, this.pending.take(opened.sealedChunkBytes), false);
      }
      this.releaseOpened();
      callback();
    } catch (error) {
      callback(error as Error);
    }
  }

  override _flush(callback: TransformCallback): void {
    try {
      const opened = this.readHeader();
      if (opened === null) {
        throw new ContentTruncatedError('the encrypted file ends inside its header');
      }
      if (opened.expectedBytes !== null && this.received < opened.expectedBytes) {
        throw new ContentTruncatedError(`the encrypted file ends after ${this.received} of its ${opened.expectedBytes} bytes`);
      }
      if (this.pending.length < FILE_TAG_BYTES) {
        throw new ContentTruncatedError(`the encrypted file ends inside chunk ${this.index}`);
      }
      this.open(opened, this.pending.take(this.pending.length), true);
      this.releaseOpened();
      callback();
    } catch (error) {
      callback(error as Error);
    }
  }

  /** The header, once enough bytes arrived to read it; null until then (and for a file that ended inside it). */
  private readHeader(): OpenedHeader | null {
    if (this.opened === null) {
      if (this.pending.length < FILE_PREAMBLE_BYTES) {
        return null;
      }
      const layout = fileLayout(this.pending.peek(FILE_PREAMBLE_BYTES));
      if (this.pending.length < layout.headerBytes) {
        return null;
      }
      const header = Buffer.concat(this.pending.take(layout.headerBytes));
      checkFileHeader(header, this.dataKey);
      const expected = this.options.expectedPlaintextBytes;
      this.opened = {
        header,
        key: fileKey(this.dataKey, header),
        sealedChunkBytes: layout.chunkBytes + FILE_TAG_BYTES,
        expectedBytes: expected === undefined ? null : encryptedFileSize(expected, layout),
      };
    }
    return this.opened;
  }

  /** Gives back the memory of received chunks whose every byte was opened (when their reader allows it). */
  private releaseOpened(): void {
    const opened = this.received - this.pending.length;
    for (let first = this.unopened[0]; first !== undefined && first.end <= opened; first = this.unopened[0]) {
      this.unopened.shift();
      releaseIfMarked(first.chunk);
    }
  }

  private open(opened: OpenedHeader, sealed: readonly Buffer[], last: boolean): void {
    const plaintext = this.tryOpen(opened, sealed, last);
    if (plaintext === null) {
      throw this.explainFailure(opened, sealed, last);
    }
    this.index += 1;
    for (const piece of plaintext) {
      if (piece.length > 0) {
        // A fresh buffer of this stream's own: its reader may release it once used (released-buffers.ts).
        this.push(markReleasable(piece));
      }
    }
  }

  /** What a chunk that did not verify means, where the other last-chunk flag tells it. */
  private explainFailure(opened: OpenedHeader, sealed: readonly Buffer[], last: boolean): Error {
    const length = sealed.reduce((sum, piece) => sum + piece.length, 0);
    if (last && length === opened.sealedChunkBytes && this.tryOpen(opened, sealed, false) !== null) {
      return new ContentTruncatedError(`the encrypted file ends after chunk ${this.index}, which is not its last`);
    }
    if (!last && this.tryOpen(opened, sealed, true) !== null) {
      return new ContentTamperedError(`bytes follow the last chunk (${this.index}) of the encrypted file`);
    }
    return new ContentTamperedError(
      `chunk ${this.index} of the encrypted file does not authenticate (modified, reordered or from another file)`,
    );
  }

  /** The chunk's plaintext once its tag verified; null when it does not. */
  private tryOpen(opened: OpenedHeader, sealed: readonly Buffer[], last: boolean): Buffer[] | null {
    const { ciphertext, tag } = splitTag(sealed, FILE_TAG_BYTES);
    const decipher = createDecipheriv('aes-256-gcm', opened.key, chunkNonce(this.index));
    decipher.setAAD(chunkAssociatedData(opened.header, this.index, last));
    decipher.setAuthTag(tag);
    const plaintext = ciphertext.map((piece) => decipher.update(piece));
    try {
      decipher.final();
      return plaintext;
    } catch {
      return null;
    }
  }
}
