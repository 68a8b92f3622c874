import { Injectable } from '@nestjs/common';
import { Gauge } from 'prom-client';
import { DataSource } from 'typeorm';
import { MetricsRegistry } from './metrics-registry';

type Mysql2Pool = { _allConnections?: { length: number }; _freeConnections?: { length: number }; _connectionQueue?: { length: number } };

/** MySQL pool use, read at scrape time (SQLite has no pool: the gauges stay absent). */
@Injectable()
export class DatabasePoolMetrics {
  constructor(registry: MetricsRegistry, dataSource: DataSource) {
    if (dataSource.options.type !== 'mysql' && dataSource.options.type !== 'mariadb') {
      return;
    }
    const pool = (): Mysql2Pool | undefined => (dataSource.driver as { pool?: Mysql2Pool }).pool;
    const gauge = (name: string, help: string, read: (p: Mysql2Pool) => number | undefined): void => {
      new Gauge({
        name,
        help,
        registers: [registry],
        collect() {
          const current = pool();
          const value = current ? read(current) : undefined;
          if (value !== undefined) {
            this.set(value);
          }
        },
      });
    };
    gauge('db_pool_connections', 'Open connections in the MySQL pool', (p) => p._allConnections?.length);
    gauge('db_pool_connections_in_use', 'MySQL pool connections currently lent out', (p) =>
      p._allConnections && p._freeConnections ? p._allConnections.length - p._freeConnections.length : undefined,
    );
    gauge('db_pool_waiting_requests', 'Queries waiting for a free MySQL pool connection', (p) => p._connectionQueue?.length);
  }
}
