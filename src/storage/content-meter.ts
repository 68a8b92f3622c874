import { createHash, Hash } from 'node:crypto';
import { finished, Readable, Transform, TransformCallback } from 'node:stream';
import { BlobDigestMismatchError, BlobExpectations, BlobSourceInterruptedError, BlobTooLargeError } from './blob-storage';

/**
 * Counts content on its way to a store (and hashes it, when a digest is expected), and fails the
 * stream (so the store drops what it staged) when the content is too large, or ends with another
 * digest than the one expected.
 */
export class ContentMeter extends Transform {
  sizeBytes = 0;
  /** Of the bytes, when the caller expected a digest; null when it checks its content itself. */
  sha256: string | null = null;
  /** Why the content was refused, when it was: a store error is then only a consequence. */
  refusal: Error | undefined;
  private readonly hash: Hash | null;

  constructor(private readonly expected: BlobExpectations) {
    super();
    // A caller that checks its content itself (history hashes the plaintext it encrypts) reads no digest of the stored bytes.
    this.hash = expected.sha256 === undefined ? null : createHash('sha256');
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.sizeBytes += chunk.length;
    if (this.sizeBytes > this.expected.maxBytes) {
      callback(this.refuse(new BlobTooLargeError(this.expected.maxBytes)));
      return;
    }
    this.hash?.update(chunk);
    callback(null, chunk);
  }

  override _flush(callback: TransformCallback): void {
    this.sha256 = this.hash?.digest('hex') ?? null;
    const matches = this.expected.sha256 === undefined || this.sha256 === this.expected.sha256;
    callback(matches ? null : this.refuse(new BlobDigestMismatchError()));
  }

  /** The source stopped before its end. */
  interrupt(cause: unknown): void {
    this.destroy(this.refuse(new BlobSourceInterruptedError(cause)));
  }

  private refuse(error: Error): Error {
    this.refusal ??= error;
    return error;
  }
}

/**
 * Pipes source into meter, and returns what to call once the store is done. Piped rather than part
 * of a pipeline, so refusing the content does not destroy the source: an HTTP request stays able
 * to carry its 413 response. A source that closes before its end (with or without an error) would
 * otherwise leave the store waiting forever.
 */
export function feedMeter(source: Readable, meter: ContentMeter): (outcome: 'stored' | 'failed') => void {
  const stopWatching = finished(source, { writable: false }, (error) => {
    if (error) {
      meter.interrupt(error);
    }
  });
  source.pipe(meter);
  return (outcome) => {
    stopWatching();
    if (outcome === 'failed') {
      // Drain what the client still sends, so its answer can be written.
      source.unpipe(meter);
      source.resume();
    }
  };
}
