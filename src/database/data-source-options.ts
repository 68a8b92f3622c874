import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { DataSourceOptions } from 'typeorm';
import { DatabaseSettings } from '../config/settings';
import { migrations } from './migrations';
import { useDialectColumnTypes } from './sealed-column';

const SQLITE_BUSY_TIMEOUT_MS = 5000;

/**
 * The one place that turns database settings into TypeORM options, shared by the app,
 * the CLI and `ormconfig.ts`. Schema changes only ever come from migrations.
 */
export function buildDataSourceOptions(database: DatabaseSettings, entities: DataSourceOptions['entities'] = []): DataSourceOptions {
  useDialectColumnTypes(database.type === 'sqlite' ? 'sqlite' : 'mysql');
  const common = {
    entities,
    migrations,
    migrationsRun: database.runMigrations,
    migrationsTransactionMode: 'each' as const,
    synchronize: false,
    logging: false,
  };
  if (database.type === 'sqlite') {
    mkdirSync(dirname(database.file), { recursive: true });
    return {
      ...common,
      type: 'better-sqlite3',
      database: database.file,
      enableWAL: true,
      timeout: SQLITE_BUSY_TIMEOUT_MS,
      prepareDatabase: (db: { pragma: (source: string) => unknown }) => {
        db.pragma('foreign_keys = ON');
        db.pragma('synchronous = NORMAL');
        // Deleted rows and overwritten values are zeroed in the file, not left in free space.
        db.pragma('secure_delete = ON');
      },
    };
  }
  return {
    ...common,
    type: database.type,
    url: database.url,
    charset: 'utf8mb4_unicode_ci',
    timezone: 'Z',
    connectTimeout: database.connectTimeoutMs,
    poolSize: database.poolSize,
    extra: { connectionLimit: database.poolSize, enableKeepAlive: true, waitForConnections: true },
  };
}
