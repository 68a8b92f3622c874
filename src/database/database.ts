import { AsyncLocalStorage } from 'node:async_hooks';
import { OnApplicationShutdown } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { borrowConnections, PoolStatistics } from './borrowed-connections';
import type { CheckpointOutcome, Engine, RunResult, Session } from './database-engine';
import { DatabaseUsageError } from './database-error';
import { MysqlEngine } from './mysql-engine';
import { bindValues, SqlParameter } from './sql-values';
import { SqliteEngine } from './sqlite-engine';
import { guardSqliteWrites, SqliteWriteTurns } from './sqlite-write-turns';
import type { DialectName, Statement } from './statement';

export type { RunResult } from './database-engine';

export type DatabaseOptions = {
  /**
   * SQLite: make any write outside a write turn throw, whoever issues it (see guardSqliteWrites).
   * On by default; off only in tests that need an unguarded handle to set up a fixture.
   */
  readonly guardSqliteWrites?: boolean;
  /** SQLite: compiled statements kept per connection. */
  readonly statementCacheSize?: number;
};

type AfterCommit = () => unknown;
type ActiveTransaction = { readonly session: Session; open: boolean; readonly afterCommit: AfterCommit[] };

const DEFAULT_STATEMENT_CACHE_SIZE = 500;

/**
 * The one way to reach the database. `transaction(work)` runs `work` in a transaction that every
 * statement issued inside it joins, however deep in the call stack, without any parameter; a
 * nested `transaction()` joins the active one. Statements outside a transaction run on their own
 * (on SQLite, a write still waits for its turn). Dialect differences stay inside: statements declare
 * a lock or a time limit and the dialect writes it; values are bound as each database needs.
 */
export class Database implements OnApplicationShutdown {
  private readonly active = new AsyncLocalStorage<ActiveTransaction>();

  private constructor(private readonly engine: Engine) {}

  /** Borrows the connections of an initialized (and migrated) TypeORM data source. */
  static async open(dataSource: DataSource, options: DatabaseOptions = {}): Promise<Database> {
    const borrowed = borrowConnections(dataSource);
    if (borrowed.kind === 'mysql') {
      return new Database(await MysqlEngine.open(borrowed.pool, borrowed.statistics));
    }
    const turns = SqliteWriteTurns.of(dataSource);
    if (options.guardSqliteWrites ?? true) {
      guardSqliteWrites(borrowed.connection, turns);
      borrowed.forgetTypeormStatements();
    }
    const cacheSize = options.statementCacheSize ?? DEFAULT_STATEMENT_CACHE_SIZE;
    return new Database(new SqliteEngine(borrowed.connection, borrowed.openReader(), turns, cacheSize));
  }

  get dialect(): DialectName {
    return this.engine.dialect;
  }

  /** True when the caller runs inside an open transaction. */
  get inTransaction(): boolean {
    return this.active.getStore()?.open === true;
  }

  /**
   * Commits when `work` resolves, rolls back when it throws. Inside another transaction it simply
   * joins that one: a failure it throws undoes the whole outer transaction unless the outer work
   * catches it, in which case the statements it ran stay part of the outer transaction.
   */
  async transaction<T>(work: () => Promise<T>): Promise<T> {
    if (this.active.getStore()?.open) {
      return work();
    }
    const afterCommit: AfterCommit[] = [];
    const result = await this.engine.transaction(async (session) => {
      const transaction: ActiveTransaction = { session, open: true, afterCommit };
      try {
        return await this.active.run(transaction, work);
      } finally {
        // Anything still running from `work` (an un-awaited promise) can no longer use the connection.
        transaction.open = false;
      }
    });
    await runAll(afterCommit);
    return result;
  }

  /**
   * Runs `callback` once the outermost transaction has committed (in registration order, each
   * awaited, outside any transaction), and never when it rolls back. Outside a transaction it runs
   * at once. If callbacks fail, the others still run and the transaction's caller gets the error.
   */
  async afterCommit(callback: AfterCommit): Promise<void> {
    const transaction = this.active.getStore();
    if (transaction?.open) {
      transaction.afterCommit.push(callback);
      return;
    }
    if (transaction) {
      throw new DatabaseUsageError('afterCommit() was called after its transaction had ended: register it while the transaction runs');
    }
    await callback();
  }

  async rows<Row extends object>(statement: Statement<Row>, values: readonly SqlParameter[] = []): Promise<Row[]> {
    const session = this.sessionFor(statement);
    return (await session.rows(statement, bindValues(this.engine.dialect, values, statement.name))) as Row[];
  }

  async first<Row extends object>(statement: Statement<Row>, values: readonly SqlParameter[] = []): Promise<Row | null> {
    const session = this.sessionFor(statement);
    return ((await session.first(statement, bindValues(this.engine.dialect, values, statement.name))) as Row | undefined) ?? null;
  }

  /** An INSERT, UPDATE or DELETE: the rows it matched, and the generated key of an INSERT. */
  async run(statement: Statement<object>, values: readonly SqlParameter[] = []): Promise<RunResult> {
    const session = this.sessionFor(statement);
    return session.run(statement, bindValues(this.engine.dialect, values, statement.name));
  }

  /**
   * Schema work through TypeORM (migrations, reverts) while no other write can run: on SQLite
   * inside a write turn (which the write guard requires), on MySQL as is.
   */
  exclusive<T>(work: () => Promise<T>): Promise<T> {
    if (this.active.getStore()?.open) {
      throw new DatabaseUsageError('exclusive() cannot run inside a transaction');
    }
    return this.engine.exclusive(work);
  }

  /** Resolves when the database answers a trivial query within `timeoutMs`. */
  async ping(timeoutMs: number): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`the database did not answer within ${timeoutMs} ms`)), timeoutMs);
    });
    try {
      await Promise.race([this.engine.ping(), timedOut]);
    } finally {
      clearTimeout(timer);
    }
  }

  /**
   * SQLite: a TRUNCATE checkpoint of the WAL (see SqliteEngine.checkpoint); `busy` when a reader
   * blocks it, which the caller logs and lets the next checkpoint finish. MySQL: nothing to do.
   */
  checkpoint(): Promise<CheckpointOutcome> {
    if (this.active.getStore()?.open) {
      throw new DatabaseUsageError('checkpoint() cannot run inside a transaction');
    }
    return this.engine.checkpoint();
  }

  /** The MySQL pool's use (null on SQLite, which has no pool). */
  poolStatistics(): PoolStatistics | null {
    return this.engine.poolStatistics();
  }

  /** Compiled statements held in the SQLite statement caches (MySQL caches per connection in mysql2). */
  get cachedStatements(): number {
    return this.engine.cachedStatements;
  }

  /** Closes what the data layer opened itself (SQLite's read connection); TypeORM closes the rest. */
  async close(): Promise<void> {
    await this.engine.close();
  }

  /** At the very end of shutdown, once in-flight requests and purge batches have finished. */
  async onApplicationShutdown(): Promise<void> {
    await this.close();
  }

  private sessionFor(statement: Statement<object>): Session {
    statement.tally.executions += 1;
    const transaction = this.active.getStore();
    if (transaction) {
      if (!transaction.open) {
        throw new DatabaseUsageError(
          `statement ${statement.name} was issued after its transaction had ended: await it inside the transaction`,
        );
      }
      return transaction.session;
    }
    if (statement.lock) {
      throw new DatabaseUsageError(`statement ${statement.name} is a locking read: outside a transaction it would lock nothing`);
    }
    return this.engine;
  }
}

async function runAll(callbacks: AfterCommit[]): Promise<void> {
  const failures: unknown[] = [];
  for (const callback of callbacks) {
    try {
      await callback();
    } catch (error) {
      failures.push(error);
    }
  }
  if (failures.length === 1) {
    throw failures[0];
  }
  if (failures.length > 1) {
    throw new AggregateError(failures, `${failures.length} after-commit callbacks failed`);
  }
}
