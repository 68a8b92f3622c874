import { createHash } from 'node:crypto';
import { finished, Readable, Transform, TransformCallback } from 'node:stream';
import { BlobDigestMismatchError, BlobExpectations, BlobSourceInterruptedError, BlobTooLargeError } from './blob-storage';

/**
 * Counts and hashes content on its way to a store, and fails the stream (so the store drops what
 * it staged) when the content is too large, or ends with another digest than the one expected.
 */
export class ContentMeter extends Transform {
  sizeBytes = 0;
  sha256 = '';
  /** Why the content was refused, when it was: a store error is then only a consequence. */
  refusal: Error | undefined;
  private readonly hash = createHash('sha256');

  constructor(private readonly expected: BlobExpectations) {
    super();
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.sizeBytes += chunk.length;
    if (this.sizeBytes > this.expected.maxBytes) {
      callback(this.refuse(new BlobTooLargeError(this.expected.maxBytes)));
      return;
    }
    this.hash.update(chunk);
    callback(null, chunk);
  }

  override _flush(callback: TransformCallback): void {
    this.sha256 = this.hash.digest('hex');
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
