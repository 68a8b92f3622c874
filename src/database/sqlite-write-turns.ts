import { AsyncLocalStorage } from 'node:async_hooks';
import { DataSource } from 'typeorm';
import type { SqliteConnection, SqliteStatement } from './borrowed-connections';
import { DatabaseUsageError } from './database-error';

type Turn = { readonly holder: SqliteWriteTurns };

/**
 * SQLite has one connection per process, so writers take turns: a transaction, or a write outside
 * one, waits until the previous turn has ended, and can therefore never run inside (and vanish
 * with) another request's open transaction. The turn is carried by AsyncLocalStorage, so work done
 * inside a turn never waits for itself, and the write guard can tell a write in the current turn
 * from any other.
 */
export class SqliteWriteTurns {
  private static readonly byDataSource = new WeakMap<DataSource, SqliteWriteTurns>();
  private readonly turns = new AsyncLocalStorage<Turn>();
  private current: Turn | null = null;

  // The end of the last turn queued: each turn starts once the one before it has settled.
  private tail: Promise<unknown> = Promise.resolve();

  private constructor() {}

  /** One instance per connection: a guard and a writer that disagreed on who holds the turn would lock each other out. */
  static of(dataSource: DataSource): SqliteWriteTurns {
    let turns = SqliteWriteTurns.byDataSource.get(dataSource);
    if (!turns) {
      turns = new SqliteWriteTurns();
      SqliteWriteTurns.byDataSource.set(dataSource, turns);
    }
    return turns;
  }

  /** True while the caller's async context holds the turn that is running now. */
  holdsTurn(): boolean {
    const turn = this.turns.getStore();
    return turn !== undefined && turn === this.current;
  }

  async take<T>(work: () => T | Promise<T>): Promise<T> {
    if (this.holdsTurn()) {
      return work();
    }
    const held = (): Promise<T> => this.hold(work);
    const run = this.tail.then(held, held);
    this.tail = run.catch(() => undefined);
    return run;
  }

  private async hold<T>(work: () => T | Promise<T>): Promise<T> {
    const turn: Turn = { holder: this };
    this.current = turn;
    try {
      return await this.turns.run(turn, work);
    } finally {
      this.current = null;
    }
  }
}

const WRITE_PRAGMA = /=|\(/;
const guarded = new WeakSet<SqliteConnection>();

/**
 * Makes every write on the shared handle prove it holds the turn, whoever issues it: this data
 * layer, TypeORM's DataSource or QueryRunner, or code holding the raw handle. A writer statement
 * (one that is not read-only; that includes INSERT … RETURNING and BEGIN IMMEDIATE) run outside
 * the turn throws instead of silently joining another request's transaction. Read-only statements
 * are returned untouched and cost nothing extra.
 */
export function guardSqliteWrites(connection: SqliteConnection, turns: SqliteWriteTurns): void {
  if (guarded.has(connection)) {
    return;
  }
  guarded.add(connection);
  const prepare = connection.prepare.bind(connection);
  const exec = connection.exec.bind(connection);
  const pragma = connection.pragma.bind(connection);
  const assertTurn = (what: string): void => {
    if (!turns.holdsTurn()) {
      throw new DatabaseUsageError(
        `SQLite write outside the write turn (${what.slice(0, 120)}): on the shared connection it could join, and vanish with, ` +
          "another request's open transaction. Write through Database (transaction(), run()), or Database.exclusive() for schema work.",
      );
    }
  };
  Object.assign(connection, {
    prepare: (source: string) => guardStatement(prepare(source) as SqliteStatement, assertTurn),
    exec: (source: string) => {
      assertTurn(source);
      return exec(source);
    },
    // Reading a pragma is harmless; setting one changes the shared connection for every writer.
    pragma: (source: string, options?: { simple?: boolean }) => {
      if (WRITE_PRAGMA.test(source)) {
        assertTurn(`PRAGMA ${source}`);
      }
      return pragma(source, options);
    },
  });
}

function guardStatement(statement: SqliteStatement, assertTurn: (what: string) => void): SqliteStatement {
  if (statement.readonly) {
    return statement;
  }
  for (const method of ['run', 'get', 'all', 'iterate'] as const) {
    const execute = statement[method].bind(statement) as (...values: unknown[]) => unknown;
    Object.defineProperty(statement, method, {
      value: (...values: unknown[]) => {
        assertTurn(statement.source);
        return execute(...values);
      },
    });
  }
  return statement;
}
