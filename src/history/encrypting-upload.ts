import { timingSafeEqual } from 'node:crypto';
import { finished, Readable, TransformCallback } from 'node:stream';
import { markReleasable } from '../common/released-buffers';
import { DataKey } from '../content-encryption/data-key';
import { FileEncryptor } from '../content-encryption/file-encryptor';
import { BlobDigestMismatchError } from '../storage/blob-storage';

/**
 * An upload encrypted on its way to storage, so staging and storage only ever see ciphertext.
 * The SHA-256 the client signed covers the plaintext: a mismatch fails the stream at its end,
 * before the store makes the bytes visible (it then drops what it staged).
 */
export type EncryptingUploadOptions = {
  /**
   * Every buffer the source emits is a fresh one that nothing else reads (an HTTP request body:
   * Node's parser copies each piece for the request's one reader), so its memory can be given
   * back once sealed instead of waiting for the garbage collector (common/released-buffers.ts).
   */
  readonly sourceBuffersAreOurs?: boolean;
};

export class EncryptingUpload extends FileEncryptor {
  private constructor(
    key: DataKey,
    private readonly declaredSha256: string,
    private readonly sourceBuffersAreOurs: boolean,
  ) {
    super(key);
  }

  /**
   * Encrypts `source`. A source that stops before its end fails this stream too (a store would
   * otherwise wait for the rest forever); a store that refuses the content and drains this stream
   * drains the source, so the client's request can still be answered.
   */
  static of(source: Readable, key: DataKey, declaredSha256: string, options: EncryptingUploadOptions = {}): EncryptingUpload {
    const upload = new EncryptingUpload(key, declaredSha256, options.sourceBuffersAreOurs === true);
    finished(source, { writable: false }, (error) => {
      if (error) {
        upload.destroy(error);
      }
    });
    source.pipe(upload);
    // The store learns of a failure by watching this stream (feedMeter), and may stop watching
    // once it gave up on it: an error emitted after that is not news, and must not crash the process.
    upload.on('error', () => undefined);
    return upload;
  }

  override _transform(chunk: Buffer, encoding: BufferEncoding, callback: TransformCallback): void {
    super._transform(this.sourceBuffersAreOurs ? markReleasable(chunk) : chunk, encoding, callback);
  }

  override _flush(callback: TransformCallback): void {
    super._flush((error) => {
      if (error) {
        callback(error);
        return;
      }
      const matches = timingSafeEqual(Buffer.from(this.sha256, 'hex'), Buffer.from(this.declaredSha256, 'hex'));
      callback(matches ? null : new BlobDigestMismatchError());
    });
  }
}
