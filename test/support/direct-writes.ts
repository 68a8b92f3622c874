import { INestApplication } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { Database } from '../../src/database/database';

/**
 * A fixture write that no API makes (a row with a chosen id, an expiry in the past, a purge put back
 * to pending), through TypeORM but inside the service's write turn: on SQLite the write guard
 * refuses a write outside it, in tests as in production.
 */
export function writeDirectly<T>(app: INestApplication, work: (dataSource: DataSource) => Promise<T>): Promise<T> {
  return app.get(Database).exclusive(() => work(app.get(DataSource)));
}
