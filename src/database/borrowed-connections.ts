import BetterSqlite3 from 'better-sqlite3';
import { DataSource } from 'typeorm';

/**
 * The one place that reaches into TypeORM's drivers. TypeORM still owns the connections (it opens
 * them with the configured settings, runs the migrations, closes them at shutdown); the data layer
 * borrows them so that its statements run prepared on the very same pool or SQLite handle, and so
 * that SQLite keeps one writer per process. TypeORM exposes neither as public API, hence the casts;
 * the integration tests run every borrowed path on both databases.
 */
export type SqliteConnection = BetterSqlite3.Database;
export type SqliteStatement = BetterSqlite3.Statement<unknown[], unknown>;

type MysqlCallback = (error: Error | null, result?: unknown) => void;

/** The part of mysql2's callback API the data layer uses: prepared `execute`, plain `query`. */
export interface MysqlExecutor {
  execute(sql: string, values: unknown[], callback: MysqlCallback): unknown;
  query(sql: string, callback: MysqlCallback): unknown;
}

export interface MysqlPooledConnection extends MysqlExecutor {
  release(): void;
  destroy(): void;
}

export interface MysqlPool extends MysqlExecutor {
  getConnection(callback: (error: Error | null, connection: MysqlPooledConnection) => void): void;
}

export type PoolStatistics = { connections: number; inUse: number; waiting: number };

export type BorrowedSqlite = {
  readonly kind: 'sqlite';
  /** The process's one read-write handle, TypeORM's own. */
  readonly connection: SqliteConnection;
  /** A second, read-only handle on the same file (WAL), or null for an in-memory database. */
  openReader(): SqliteConnection | null;
  /** Drops the statements TypeORM prepared before the write guard was installed (they would bypass it). */
  forgetTypeormStatements(): void;
};

export type BorrowedMysql = {
  readonly kind: 'mysql';
  readonly pool: MysqlPool;
  readonly statistics: () => PoolStatistics | null;
};

type SqliteDriverInternals = {
  databaseConnection: SqliteConnection;
  queryRunner?: { stmtCache?: Map<string, unknown> };
  options: { database: string; timeout?: number };
};

// mysql2's Pool keeps its connection lists on underscore fields; they have been stable across 3.x.
type Mysql2PoolInternals = {
  _allConnections?: { length: number };
  _freeConnections?: { length: number };
  _connectionQueue?: { length: number };
};

export function borrowConnections(dataSource: DataSource): BorrowedSqlite | BorrowedMysql {
  if (!dataSource.isInitialized) {
    throw new Error('the data source must be initialized (and migrated) before the data layer borrows it');
  }
  const type = dataSource.options.type;
  if (type === 'better-sqlite3') {
    const driver = dataSource.driver as unknown as SqliteDriverInternals;
    return {
      kind: 'sqlite',
      connection: driver.databaseConnection,
      openReader: () => openReader(driver),
      forgetTypeormStatements: () => driver.queryRunner?.stmtCache?.clear(),
    };
  }
  if (type === 'mysql' || type === 'mariadb') {
    const pool = (dataSource.driver as unknown as { pool: MysqlPool }).pool;
    return { kind: 'mysql', pool, statistics: () => poolStatistics(pool as unknown as Mysql2PoolInternals) };
  }
  throw new Error(`unsupported database type ${type}`);
}

function openReader(driver: SqliteDriverInternals): SqliteConnection | null {
  const file = driver.options.database;
  if (file === ':memory:' || file === '') {
    return null;
  }
  const reader = new BetterSqlite3(file, { readonly: true, fileMustExist: true, timeout: driver.options.timeout });
  // It never deletes, but every connection to the file says the same, so no path leaves deleted rows in free pages.
  reader.pragma('secure_delete = ON');
  return reader;
}

function poolStatistics(pool: Mysql2PoolInternals): PoolStatistics | null {
  const all = pool._allConnections?.length;
  const free = pool._freeConnections?.length;
  const waiting = pool._connectionQueue?.length;
  if (all === undefined || free === undefined || waiting === undefined) {
    return null;
  }
  return { connections: all, inUse: all - free, waiting };
}
