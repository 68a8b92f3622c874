import { Injectable } from '@nestjs/common';
import { Counter } from 'prom-client';
import { MetricsRegistry } from '../metrics/metrics-registry';

export type SweptKind = 'staging' | 'orphan';

/** What the storage sweeps removed: staged bytes of abandoned uploads, and stored bytes no file row refers to. */
@Injectable()
export class StorageSweepMetrics {
  private readonly counter: Counter<'kind'>;

  constructor(registry: MetricsRegistry) {
    this.counter = new Counter({
      name: 'storage_swept_total',
      help: 'Items removed by the storage sweeps: staging (abandoned uploads), orphan (stored bytes no file refers to)',
      labelNames: ['kind'],
      registers: [registry],
    });
    this.counter.inc({ kind: 'staging' }, 0);
    this.counter.inc({ kind: 'orphan' }, 0);
  }

  swept(kind: SweptKind, count: number): void {
    if (count > 0) {
      this.counter.inc({ kind }, count);
    }
  }
}
