import { Injectable } from '@nestjs/common';
import { Gauge } from 'prom-client';
import { Database } from '../database/database';
import { MetricsRegistry } from './metrics-registry';

type PoolStatistics = NonNullable<ReturnType<Database['poolStatistics']>>;

/** MySQL pool use, read at scrape time (SQLite has no pool: the gauges stay absent). */
@Injectable()
export class DatabasePoolMetrics {
  constructor(registry: MetricsRegistry, database: Database) {
    if (database.poolStatistics() === null) {
      return;
    }
    const gauge = (name: string, help: string, read: (statistics: PoolStatistics) => number): void => {
      new Gauge({
        name,
        help,
        registers: [registry],
        collect() {
          const statistics = database.poolStatistics();
          if (statistics) {
            this.set(read(statistics));
          }
        },
      });
    };
    gauge('db_pool_connections', 'Open connections in the MySQL pool', (statistics) => statistics.connections);
    gauge('db_pool_connections_in_use', 'MySQL pool connections currently lent out', (statistics) => statistics.inUse);
    gauge('db_pool_waiting_requests', 'Queries waiting for a free MySQL pool connection', (statistics) => statistics.waiting);
  }
}
