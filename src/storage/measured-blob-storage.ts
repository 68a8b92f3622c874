import { Readable } from 'node:stream';
import { Counter, Histogram } from 'prom-client';
import { MetricsRegistry } from '../metrics/metrics-registry';
import { BlobExpectations, BlobStorage, ListedBlob, StoredBlob, UndeletedBlobs } from './blob-storage';

type Operation = 'put' | 'delete' | 'delete_many' | 'read' | 'open_read' | 'sweep' | 'remove_folder' | 'check';

/**
 * Any driver, timed: store latency per operation, and errors of the store itself (a refused
 * upload, too large or with another digest, is the client's doing and is not counted).
 */
export class MeasuredBlobStorage extends BlobStorage {
  private readonly duration: Histogram<'driver' | 'operation'>;
  private readonly errors: Counter<'driver' | 'operation'>;
  private readonly undeleted: Counter<'driver'>;

  constructor(
    private readonly inner: BlobStorage,
    private readonly driver: string,
    registry: MetricsRegistry,
  ) {
    super();
    this.duration = new Histogram({
      name: 'storage_operation_duration_seconds',
      help: 'Time the file store took per operation (an upload includes receiving its bytes)',
      labelNames: ['driver', 'operation'],
      buckets: [0.005, 0.025, 0.1, 0.25, 1, 2.5, 10, 30, 120],
      registers: [registry],
    });
    this.errors = new Counter({
      name: 'storage_errors_total',
      help: 'File store operations that failed because of the store (unreachable, throttling, refusing)',
      labelNames: ['driver', 'operation'],
      registers: [registry],
    });
    this.undeleted = new Counter({
      name: 'storage_undeleted_keys_total',
      help: 'Keys a batch delete could not delete (a purge retries them)',
      labelNames: ['driver'],
      registers: [registry],
    });
  }

  put(key: string, source: Readable, expected: BlobExpectations): Promise<StoredBlob> {
    return this.measure('put', () => this.inner.put(key, source, expected));
  }

  delete(key: string): Promise<boolean> {
    return this.measure('delete', () => this.inner.delete(key));
  }

  async deleteMany(keys: readonly string[]): Promise<UndeletedBlobs> {
    const undeleted = await this.measure('delete_many', () => this.inner.deleteMany(keys));
    if (undeleted.size > 0) {
      this.errors.inc({ driver: this.driver, operation: 'delete_many' });
      this.undeleted.inc({ driver: this.driver }, undeleted.size);
    }
    return undeleted;
  }

  read(key: string): Promise<Buffer> {
    return this.measure('read', () => this.inner.read(key));
  }

  /** Measures until the store answers, not the transfer (which the client paces). */
  openRead(key: string): Promise<Readable> {
    return this.measure('open_read', () => this.inner.openRead(key));
  }

  sweepAbandoned(olderThan: Date): Promise<number> {
    return this.measure('sweep', () => this.inner.sweepAbandoned(olderThan));
  }

  /** Not measured per page: the sweep that calls it counts what it found. */
  list(): AsyncIterable<ListedBlob[]> {
    return this.inner.list();
  }

  removeEmptyFolder(prefix: string): Promise<void> {
    return this.measure('remove_folder', () => this.inner.removeEmptyFolder(prefix));
  }

  checkReachable(): Promise<void> {
    return this.measure('check', () => this.inner.checkReachable());
  }

  private async measure<T>(operation: Operation, work: () => Promise<T>): Promise<T> {
    const stop = this.duration.startTimer({ driver: this.driver, operation });
    try {
      return await work();
    } catch (error) {
      if (!isRefusedContent(error)) {
        this.errors.inc({ driver: this.driver, operation });
      }
      throw error;
    } finally {
      stop();
    }
  }
}

function isRefusedContent(error: unknown): boolean {
  return (
    error instanceof Error &&
    ['BlobTooLargeError', 'BlobSourceInterruptedError', 'BlobDigestMismatchError', 'BlobNotFoundError'].includes(error.name)
  );
}
