import { createDecipheriv, KeyObject } from 'node:crypto';
import { Transform, TransformCallback } from 'node:stream';
import { ChunkBuffer, splitTag } from './chunk-buffer';
import { ContentTamperedError, ContentTruncatedError } from './content-errors';
import { DataKey } from './data-key';
import {
  checkFileHeader,
  chunkAssociatedData,
  chunkNonce,
  encryptedFileSize,
  FILE_HEADER_BYTES,
  FILE_TAG_BYTES,
  fileKey,
  SEALED_CHUNK_BYTES,
} from './file-format';

export type FileDecryptorOptions = {
  /** The plaintext size recorded with the file: a stream of any other length fails at once, or at its end. */
  readonly expectedPlaintextBytes?: number;
};

/**
 * Decrypts a file as it streams (format in file-format.ts). A chunk's plaintext is passed on only
 * after its tag verified; the first chunk that does not verify fails the stream with a typed error
 * (ContentDecryptionError), so a reader gets authentic bytes and then an error, never altered ones.
 */
export class FileDecryptor extends Transform {
  private readonly pending = new ChunkBuffer();
  private readonly expectedBytes: number | null;
  private header: Buffer | null = null;
  private key: KeyObject | null = null;
  private index = 0;
  private received = 0;

  constructor(
    private readonly dataKey: DataKey,
    options: FileDecryptorOptions = {},
  ) {
    super();
    this.expectedBytes = options.expectedPlaintextBytes === undefined ? null : encryptedFileSize(options.expectedPlaintextBytes);
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    try {
      this.received += chunk.length;
      if (this.expectedBytes !== null && this.received > this.expectedBytes) {
        throw new ContentTamperedError(`the encrypted file is longer than the ${this.expectedBytes} bytes its recorded size gives`);
      }
      this.pending.append(chunk);
      if (!this.readHeader()) {
        callback();
        return;
      }
      // A full sealed chunk followed by more bytes cannot be the last one.
      while (this.pending.length > SEALED_CHUNK_BYTES) {
        this.open(this.pending.take(SEALED_CHUNK_BYTES), false);
      }
      callback();
    } catch (error) {
      callback(error as Error);
    }
  }

  override _flush(callback: TransformCallback): void {
    try {
      if (!this.readHeader()) {
        throw new ContentTruncatedError('the encrypted file ends inside its header');
      }
      if (this.expectedBytes !== null && this.received < this.expectedBytes) {
        throw new ContentTruncatedError(`the encrypted file ends after ${this.received} of its ${this.expectedBytes} bytes`);
      }
      if (this.pending.length < FILE_TAG_BYTES) {
        throw new ContentTruncatedError(`the encrypted file ends inside chunk ${this.index}`);
      }
      this.open(this.pending.take(this.pending.length), true);
      callback();
    } catch (error) {
      callback(error as Error);
    }
  }

  private readHeader(): boolean {
    if (this.header === null) {
      if (this.pending.length < FILE_HEADER_BYTES) {
        return false;
      }
      const header = Buffer.concat(this.pending.take(FILE_HEADER_BYTES));
      checkFileHeader(header, this.dataKey);
      this.key = fileKey(this.dataKey, header);
      this.header = header;
    }
    return true;
  }

  private open(sealed: readonly Buffer[], last: boolean): void {
    const plaintext = this.tryOpen(sealed, last);
    if (plaintext === null) {
      throw this.explainFailure(sealed, last);
    }
    this.index += 1;
    for (const piece of plaintext) {
      if (piece.length > 0) {
        this.push(piece);
      }
    }
  }

  /** What a chunk that did not verify means, where the other last-chunk flag tells it. */
  private explainFailure(sealed: readonly Buffer[], last: boolean): Error {
    const length = sealed.reduce((sum, piece) => sum + piece.length, 0);
    if (last && length === SEALED_CHUNK_BYTES && this.tryOpen(sealed, false) !== null) {
      return new ContentTruncatedError(`the encrypted file ends after chunk ${this.index}, which is not its last`);
    }
    if (!last && this.tryOpen(sealed, true) !== null) {
      return new ContentTamperedError(`bytes follow the last chunk (${this.index}) of the encrypted file`);
    }
    return new ContentTamperedError(
      `chunk ${this.index} of the encrypted file does not authenticate (modified, reordered or from another file)`,
    );
  }

  /** The chunk's plaintext once its tag verified; null when it does not. */
  private tryOpen(sealed: readonly Buffer[], last: boolean): Buffer[] | null {
    const { ciphertext, tag } = splitTag(sealed, FILE_TAG_BYTES);
    const decipher = createDecipheriv('aes-256-gcm', this.key as KeyObject, chunkNonce(this.index));
    decipher.setAAD(chunkAssociatedData(this.header as Buffer, this.index, last));
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
