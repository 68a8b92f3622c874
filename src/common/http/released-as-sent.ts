import { PassThrough, pipeline, Readable } from 'node:stream';
import { releaseIfMarked } from '../released-buffers';

/**
 * A response body that gives each marked buffer back (common/released-buffers.ts) once the
 * response has written it, instead of leaving it to the garbage collector: a large download
 * then allocates no memory that counts towards a full collection of the service's heap.
 *
 * Fastify sends a stream body with `body.pipe(response)`, and Readable's own pipe writes without
 * a callback, so it cannot tell when a buffer's bytes have left. This pipe writes each chunk with
 * one and releases the chunk there, only on success (a failed write may not be done with it), and
 * keeps pipe's backpressure and end. It serves one destination; errors and an early close are
 * the caller's to handle, as Fastify does for every stream body (it destroys the other side).
 */
export class ReleasedAsSent extends PassThrough {
  override pipe<T extends NodeJS.WritableStream>(destination: T, options?: { end?: boolean }): T {
    this.on('data', (chunk: Buffer) => {
      const ready = destination.write(chunk, (error?: Error | null) => {
        if (!error) {
          releaseIfMarked(chunk);
        }
      });
      if (!ready) {
        this.pause();
        destination.once('drain', () => this.resume());
      }
    });
    if (options?.end !== false) {
      this.once('end', () => destination.end());
    }
    this.resume();
    return destination;
  }
}

/**
 * `body` as a response body that releases its marked buffers once written. A failure of either
 * side destroys both (the response then sees an aborted transfer); it is reported by whoever
 * produced the body, so none is reported here.
 */
export function releasedAsSent(body: Readable): Readable {
  return pipeline(body, new ReleasedAsSent(), () => undefined);
}
