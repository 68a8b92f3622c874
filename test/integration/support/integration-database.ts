import { join } from 'node:path';
import { DataSource, DataSourceOptions, Table, TableIndex } from 'typeorm';
import { DatabaseSettings } from '../../../src/config/settings';
import { buildDataSourceOptions } from '../../../src/database/data-source-options';
import { Database, DatabaseOptions } from '../../../src/database/database';
import { timestampColumns } from '../../../src/database/migrations/timestamp-columns';
import { resolveMysqlDialect } from '../../../src/database/mysql-dialect';
import { Organization } from '../../../src/organizations/organization.entity';
import { User } from '../../../src/users/user.entity';
import { e2eDatabase, E2eDatabase } from '../../support/e2e-target';

export type IntegrationDatabase = {
  readonly database: Database;
  readonly dataSource: DataSource;
  readonly target: E2eDatabase;
  close(): Promise<void>;
};

export type OpenOptions = DatabaseOptions & {
  /** Defaults to the database the run was asked for (E2E_DB). */
  readonly target?: E2eDatabase;
  /** SQLite file name inside this test file's directory. */
  readonly sqliteFile?: string;
  readonly sqliteBusyTimeoutMs?: number;
};

/**
 * The data layer on this test file's own database, built from the service's own TypeORM options
 * and migrations, as the app builds it (without Nest and HTTP).
 */
export async function openIntegrationDatabase(options: OpenOptions = {}): Promise<IntegrationDatabase> {
  const target = options.target ?? e2eDatabase();
  const dataSource = new DataSource(await dataSourceOptions(target, options));
  await dataSource.initialize();
  try {
    const database = await Database.open(dataSource, options);
    return {
      database,
      dataSource,
      target,
      close: async () => {
        await database.close();
        await dataSource.destroy();
      },
    };
  } catch (error) {
    await dataSource.destroy();
    throw error;
  }
}

async function dataSourceOptions(target: E2eDatabase, options: OpenOptions): Promise<DataSourceOptions> {
  const common = { runMigrations: true, connectRetries: 0 };
  const settings: DatabaseSettings =
    target === 'sqlite'
      ? { ...common, type: 'sqlite', file: join(requiredEnv('INTEGRATION_DATA_DIR'), options.sqliteFile ?? 'integration.sqlite') }
      : { ...common, type: 'mysql', url: requiredEnv('INTEGRATION_DATABASE_URL'), poolSize: 5, connectTimeoutMs: 5000 };
  const built = buildDataSourceOptions(await resolveMysqlDialect(settings), [Organization, User]);
  return built.type === 'better-sqlite3' && options.sqliteBusyTimeoutMs !== undefined
    ? { ...built, timeout: options.sqliteBusyTimeoutMs }
    : built;
}

function requiredEnv(name: string): string {
  const value = process.env[name];
  if (!value) {
    throw new Error(`${name} is not set: is test/support/integration-setup.ts the setup file?`);
  }
  return value;
}

/**
 * A scratch table for tests of the data layer itself: an auto-increment key, a unique name, a
 * counter, a boolean, a text column and a DATETIME with the precision the entities use.
 */
export async function createItemsTable({ database, dataSource }: IntegrationDatabase): Promise<void> {
  await database.exclusive(async () => {
    const runner = dataSource.createQueryRunner();
    try {
      if (await runner.hasTable('items')) {
        return;
      }
      const [createdAt] = timestampColumns(runner);
      await runner.createTable(
        new Table({
          name: 'items',
          columns: [
            { name: 'id', type: 'integer', isPrimary: true, isGenerated: true, generationStrategy: 'increment' },
            { name: 'name', type: 'varchar', length: '64' },
            { name: 'counter', type: 'integer', default: 0 },
            { name: 'flag', type: 'boolean', default: 0 },
            { name: 'note', type: 'varchar', length: '64', isNullable: true },
            { name: 'at', type: 'datetime', precision: dataSource.driver.mappedDataTypes.createDatePrecision, isNullable: true },
            createdAt,
          ],
          indices: [new TableIndex({ name: 'UQ_items_name', columnNames: ['name'], isUnique: true })],
        }),
      );
    } finally {
      await runner.release();
    }
  });
}
