import { timingSafeEqual } from 'node:crypto';
import { finished, Readable, TransformCallback } from 'node:stream';
import { DataKey } from '../content-encryption/data-key';
import { FileEncryptor } from '../content-encryption/file-encryptor';
import { BlobDigestMismatchError } from '../storage/blob-storage';

/**
 * An upload encrypted on its way to storage, so staging and storage only ever see ciphertext.
 * The SHA-256 the client signed covers the plaintext: a mismatch fails the stream at its end,
 * before the store makes the bytes visible (it then drops what it staged).
 */
export class EncryptingUpload extends FileEncryptor {
  private constructor(
    key: DataKey,
    private readonly declaredSha256: string,
  ) {
    super(key);
  }

  /**
   * Encrypts `source`. A source that stops before its end fails this stream too (a store would
   * otherwise wait for the rest forever); a store that refuses the content and drains this stream
   * drains the source, so the client's request can still be answered.
   */
  static of(source: Readable, key: DataKey, declaredSha256: string): EncryptingUpload {
    const upload = new EncryptingUpload(key, declaredSha256);
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
