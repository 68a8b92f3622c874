import { createCipheriv, createHash, KeyObject, randomBytes } from 'node:crypto';
import { Transform, TransformCallback } from 'node:stream';
import { markReleasable, releaseIfMarked } from '../common/released-buffers';
import { ChunkBuffer } from './chunk-buffer';
import { DataKey } from './data-key';
import { chunkAssociatedData, chunkNonce, FILE_CHUNK_BYTES, FILE_SALT_BYTES, fileHeader, fileKey } from './file-format';

export type FileEncryptorOptions = {
  /** Plaintext bytes per chunk (file-format.ts); the default is what the service writes. */
  readonly chunkBytes?: number;
};

/**
 * Encrypts a file as it streams (format in file-format.ts), holding at most one chunk plus what
 * the source wrote at once; backpressure is the stream's own. It also hashes and counts the
 * plaintext, so the SHA-256 a client signed can be checked without a second pass. An input buffer
 * marked as the consumer's to release (common/released-buffers.ts) is given back once every byte
 * of it was hashed and sealed.
 *
 * A full chunk is sealed only once a further byte arrives (or the source ends): until then it
 * cannot be known whether it is the last one, and the last-chunk flag is associated data, which
 * AES-GCM takes before the first byte of the chunk.
 */
export class FileEncryptor extends Transform {
  private readonly header: Buffer;
  private readonly key: KeyObject;
  private readonly chunkBytes: number;
  private readonly hash = createHash('sha256');
  private readonly pending = new ChunkBuffer();
  /** Received buffers, with the plaintext offset each ends at, until every byte of theirs was sealed. */
  private readonly unsealed: { readonly chunk: Buffer; readonly end: number }[] = [];
  private index = 0;
  private bytes = 0;
  private digest: string | null = null;

  constructor(dataKey: DataKey, options: FileEncryptorOptions = {}) {
    super();
    this.chunkBytes = options.chunkBytes ?? FILE_CHUNK_BYTES;
    this.header = fileHeader(dataKey, randomBytes(FILE_SALT_BYTES), this.chunkBytes);
    this.key = fileKey(dataKey, this.header);
    this.push(this.header);
  }

  /** Lowercase hex SHA-256 of the plaintext; once the stream has ended. */
  get sha256(): string {
    if (this.digest === null) {
      throw new Error('the plaintext digest is known once the stream has ended');
    }
    return this.digest;
  }

  /** Plaintext bytes read so far. */
  get plaintextBytes(): number {
    return this.bytes;
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    try {
      this.hash.update(chunk);
      this.bytes += chunk.length;
      this.pending.append(chunk);
      this.unsealed.push({ chunk, end: this.bytes });
      while (this.pending.length > this.chunkBytes) {
        this.seal(this.pending.take(this.chunkBytes), false);
      }
      this.releaseSealed();
      callback();
    } catch (error) {
      callback(error as Error);
    }
  }

  override _flush(callback: TransformCallback): void {
    try {
      this.seal(this.pending.take(this.pending.length), true);
      this.releaseSealed();
      this.digest = this.hash.digest('hex');
      callback();
    } catch (error) {
      callback(error as Error);
    }
  }

  /** Gives back the memory of received buffers whose every byte was hashed and sealed (when their source allows it). */
  private releaseSealed(): void {
    const sealed = this.bytes - this.pending.length;
    for (let first = this.unsealed[0]; first !== undefined && first.end <= sealed; first = this.unsealed[0]) {
      this.unsealed.shift();
      releaseIfMarked(first.chunk);
    }
  }

  private seal(plaintext: readonly Buffer[], last: boolean): void {
    const cipher = createCipheriv('aes-256-gcm', this.key, chunkNonce(this.index));
    cipher.setAAD(chunkAssociatedData(this.header, this.index, last));
    for (const piece of plaintext) {
      const ciphertext = cipher.update(piece);
      if (ciphertext.length > 0) {
        // A fresh buffer of this stream's own: the store may release it once written (released-buffers.ts).
        this.push(markReleasable(ciphertext));
      }
    }
    cipher.final();
    this.push(cipher.getAuthTag());
    this.index += 1;
  }
}
