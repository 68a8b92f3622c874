import type { MysqlExecutor, MysqlPool, MysqlPooledConnection, PoolStatistics } from './borrowed-connections';
import type { CheckpointOutcome, DriverRow, Engine, RunResult, Session } from './database-engine';
import { DatabaseError, DatabaseUsageError } from './database-error';
import { renderedSql } from './sql-dialect';
import type { Statement } from './statement';

type MysqlDialect = 'mysql' | 'mariadb';
type ResultHeader = { affectedRows: number; insertId: number };

/**
 * MySQL/MariaDB: statements outside a transaction take any pooled connection; a transaction holds
 * one connection of its own from BEGIN to COMMIT or ROLLBACK and always gives it back (destroyed
 * when the rollback failed, so a connection in an unknown state never serves another request).
 * Every statement is a server-side prepared statement (mysql2 `execute`, cached per connection).
 */
export class MysqlEngine implements Engine {
  readonly cachedStatements = 0;

  private constructor(
    private readonly pool: MysqlPool,
    readonly dialect: MysqlDialect,
    private readonly statistics: () => PoolStatistics | null,
  ) {}

  /** Asks the server which it is: time limits are written differently on MariaDB and MySQL. */
  static async open(pool: MysqlPool, statistics: () => PoolStatistics | null): Promise<MysqlEngine> {
    const rows = (await command(pool, 'SELECT VERSION() AS version', 'database.version')) as { version: string }[];
    const dialect = /mariadb/i.test(String(rows[0]?.version)) ? 'mariadb' : 'mysql';
    return new MysqlEngine(pool, dialect, statistics);
  }

  rows(statement: Statement<object>, values: unknown[]): Promise<DriverRow[]> {
    return rowsOn(this.pool, this.dialect, statement, values);
  }

  async first(statement: Statement<object>, values: unknown[]): Promise<DriverRow | undefined> {
    return (await rowsOn(this.pool, this.dialect, statement, values))[0];
  }

  run(statement: Statement<object>, values: unknown[]): Promise<RunResult> {
    return runOn(this.pool, this.dialect, statement, values);
  }

  async transaction<T>(work: (session: Session) => Promise<T>): Promise<T> {
    const connection = await acquire(this.pool);
    try {
      await command(connection, 'START TRANSACTION', 'transaction.begin');
    } catch (error) {
      connection.destroy();
      throw error;
    }
    let reusable = true;
    try {
      const result = await work(sessionOn(connection, this.dialect));
      await command(connection, 'COMMIT', 'transaction.commit');
      return result;
    } catch (error) {
      reusable = await command(connection, 'ROLLBACK', 'transaction.rollback').then(
        () => true,
        () => false,
      );
      throw error;
    } finally {
      if (reusable) {
        connection.release();
      } else {
        connection.destroy();
      }
    }
  }

  exclusive<T>(work: () => Promise<T>): Promise<T> {
    return work();
  }

  async ping(): Promise<void> {
    await command(this.pool, 'SELECT 1', 'database.ping');
  }

  /** InnoDB has no WAL file of ours to empty (see docs/encryption.md for what it keeps). */
  checkpoint(): Promise<CheckpointOutcome> {
    return Promise.resolve('none');
  }

  poolStatistics(): PoolStatistics | null {
    return this.statistics();
  }

  close(): Promise<void> {
    // The pool is TypeORM's: it closes it when the data source is destroyed.
    return Promise.resolve();
  }
}

function sessionOn(connection: MysqlExecutor, dialect: MysqlDialect): Session {
  return {
    rows: (statement, values) => rowsOn(connection, dialect, statement, values),
    first: async (statement, values) => (await rowsOn(connection, dialect, statement, values))[0],
    run: (statement, values) => runOn(connection, dialect, statement, values),
  };
}

async function rowsOn(
  executor: MysqlExecutor,
  dialect: MysqlDialect,
  statement: Statement<object>,
  values: unknown[],
): Promise<DriverRow[]> {
  const result = await execute(executor, renderedSql(dialect, statement), values, statement.name);
  if (!Array.isArray(result)) {
    throw new DatabaseUsageError(`statement ${statement.name} returns no rows: run it with run()`);
  }
  return result as DriverRow[];
}

async function runOn(executor: MysqlExecutor, dialect: MysqlDialect, statement: Statement<object>, values: unknown[]): Promise<RunResult> {
  const result = await execute(executor, renderedSql(dialect, statement), values, statement.name);
  if (Array.isArray(result)) {
    throw new DatabaseUsageError(`statement ${statement.name} returns rows: read them with rows() or first()`);
  }
  const { affectedRows, insertId } = result as ResultHeader;
  return { affected: affectedRows, insertId: Number(insertId) };
}

function execute(executor: MysqlExecutor, sql: string, values: unknown[], name: string): Promise<unknown> {
  return new Promise((resolve, reject) => {
    executor.execute(sql, values, (error, result) => (error ? reject(new DatabaseError(name, error)) : resolve(result)));
  });
}

/** A statement that cannot or need not be prepared (transaction control, the version). */
function command(executor: MysqlExecutor, sql: string, name: string): Promise<unknown> {
  return new Promise((resolve, reject) => {
    executor.query(sql, (error, result) => (error ? reject(new DatabaseError(name, error)) : resolve(result)));
  });
}

function acquire(pool: MysqlPool): Promise<MysqlPooledConnection> {
  return new Promise((resolve, reject) => {
    pool.getConnection((error, connection) => (error ? reject(new DatabaseError('transaction.connect', error)) : resolve(connection)));
  });
}
