import type { PoolStatistics, SqliteConnection, SqliteStatement } from './borrowed-connections';
import type { CheckpointOutcome, DriverRow, Engine, RunResult, Session } from './database-engine';
import { DatabaseError, DatabaseUsageError } from './database-error';
import { renderedSql } from './sql-dialect';
import { SqliteWriteTurns } from './sqlite-write-turns';
import type { Statement } from './statement';

/** SQLite statements run synchronously; a turn or a transaction wraps them. */
type WriterSession = {
  rows(statement: Statement<object>, values: unknown[]): DriverRow[];
  first(statement: Statement<object>, values: unknown[]): DriverRow | undefined;
  run(statement: Statement<object>, values: unknown[]): RunResult;
};

/** Compiled statements of one connection, the oldest dropped first once `capacity` is reached. */
class PreparedStatements {
  private readonly statements = new Map<string, SqliteStatement>();

  constructor(
    private readonly connection: SqliteConnection,
    private readonly capacity: number,
  ) {}

  get size(): number {
    return this.statements.size;
  }

  get(sql: string): SqliteStatement {
    let prepared = this.statements.get(sql);
    if (!prepared) {
      prepared = this.connection.prepare(sql);
      if (this.statements.size >= this.capacity) {
        this.statements.delete(this.statements.keys().next().value as string);
      }
      this.statements.set(sql, prepared);
    }
    return prepared;
  }
}

/**
 * SQLite: writes on TypeORM's one read-write handle, a turn at a time (SqliteWriteTurns);
 * transactions begin IMMEDIATE, so another process (the CLI) that writes makes this one wait on the
 * busy timeout rather than fail half-way when a read transaction would upgrade to a write. Reads
 * outside a transaction go to a second, read-only handle on the same WAL file: they see committed
 * rows only, never another request's open transaction.
 */
export class SqliteEngine implements Engine {
  readonly dialect = 'sqlite' as const;
  private readonly written: PreparedStatements;
  private readonly read: PreparedStatements;
  private readonly onWriter: WriterSession;

  constructor(
    private readonly writer: SqliteConnection,
    private readonly reader: SqliteConnection | null,
    private readonly turns: SqliteWriteTurns,
    statementCacheSize: number,
  ) {
    this.written = new PreparedStatements(writer, statementCacheSize);
    this.read = reader ? new PreparedStatements(reader, statementCacheSize) : this.written;
    const onWriter = (statement: Statement<object>): SqliteStatement => this.written.get(renderedSql('sqlite', statement));
    this.onWriter = {
      rows: (statement, values) => attempt(statement, () => rowsOf(statement, onWriter(statement), values)),
      first: (statement, values) => attempt(statement, () => firstOf(statement, onWriter(statement), values)),
      run: (statement, values) => attempt(statement, () => runOf(statement, onWriter(statement), values)),
    };
  }

  get cachedStatements(): number {
    return this.written.size + (this.read === this.written ? 0 : this.read.size);
  }

  rows(statement: Statement<object>, values: unknown[]): DriverRow[] | Promise<DriverRow[]> {
    const prepared = this.outside(statement);
    if (prepared) {
      return attempt(statement, () => rowsOf(statement, prepared, values));
    }
    return this.turns.take(() => this.onWriter.rows(statement, values));
  }

  first(statement: Statement<object>, values: unknown[]): DriverRow | undefined | Promise<DriverRow | undefined> {
    const prepared = this.outside(statement);
    if (prepared) {
      return attempt(statement, () => firstOf(statement, prepared, values));
    }
    return this.turns.take(() => this.onWriter.first(statement, values));
  }

  run(statement: Statement<object>, values: unknown[]): RunResult | Promise<RunResult> {
    const prepared = this.outside(statement);
    if (prepared) {
      return attempt(statement, () => runOf(statement, prepared, values));
    }
    return this.turns.take(() => this.onWriter.run(statement, values));
  }

  transaction<T>(work: (session: Session) => Promise<T>): Promise<T> {
    return this.turns.take(async () => {
      this.control('BEGIN IMMEDIATE');
      try {
        const result = await work(this.onWriter);
        this.control('COMMIT');
        return result;
      } catch (error) {
        // A failed COMMIT or some errors (SQLITE_FULL, …) may already have ended the transaction.
        if (this.writer.inTransaction) {
          this.control('ROLLBACK');
        }
        throw error;
      }
    });
  }

  exclusive<T>(work: () => Promise<T>): Promise<T> {
    return this.turns.take(work);
  }

  ping(): Promise<void> {
    this.read.get('SELECT 1').get();
    return Promise.resolve();
  }

  /**
   * Copies the WAL into the database file and empties it (TRUNCATE), in a write turn so no
   * transaction of this process is open. With secure_delete on, the pages the copy overwrites keep
   * nothing of deleted rows; emptying the WAL drops its older copies of those pages. A reader
   * (another process, the CLI) still using old frames makes it `busy`, never an error.
   */
  checkpoint(): Promise<CheckpointOutcome> {
    return this.turns.take(() => {
      const [result] = this.writer.pragma('wal_checkpoint(TRUNCATE)') as { busy: number; log: number; checkpointed: number }[];
      if (result === undefined || result.log === -1) {
        return Promise.resolve<CheckpointOutcome>('none');
      }
      return Promise.resolve<CheckpointOutcome>(result.busy === 0 ? 'truncated' : 'busy');
    });
  }

  poolStatistics(): PoolStatistics | null {
    return null;
  }

  close(): Promise<void> {
    this.reader?.close();
    return Promise.resolve();
  }

  /** The prepared read-only statement to run at once, or null when it writes and must take a turn. */
  private outside(statement: Statement<object>): SqliteStatement | null {
    const prepared = attempt(statement, () => this.read.get(renderedSql('sqlite', statement)));
    return prepared.readonly ? prepared : null;
  }

  private control(sql: 'BEGIN IMMEDIATE' | 'COMMIT' | 'ROLLBACK'): void {
    try {
      this.written.get(sql).run();
    } catch (error) {
      throw error instanceof DatabaseUsageError ? error : new DatabaseError(`transaction.${sql.split(' ')[0].toLowerCase()}`, error);
    }
  }
}

function rowsOf(statement: Statement<object>, prepared: SqliteStatement, values: unknown[]): DriverRow[] {
  assertReturnsRows(statement, prepared);
  return prepared.all(...values) as DriverRow[];
}

function firstOf(statement: Statement<object>, prepared: SqliteStatement, values: unknown[]): DriverRow | undefined {
  assertReturnsRows(statement, prepared);
  return prepared.get(...values) as DriverRow | undefined;
}

function runOf(statement: Statement<object>, prepared: SqliteStatement, values: unknown[]): RunResult {
  if (prepared.reader) {
    throw new DatabaseUsageError(`statement ${statement.name} returns rows: read them with rows() or first()`);
  }
  const { changes, lastInsertRowid } = prepared.run(...values);
  return { affected: changes, insertId: Number(lastInsertRowid) };
}

function assertReturnsRows(statement: Statement<object>, prepared: SqliteStatement): void {
  if (!prepared.reader) {
    throw new DatabaseUsageError(`statement ${statement.name} returns no rows: run it with run()`);
  }
}

/** Driver failures become DatabaseErrors that keep their code; misuse stays a DatabaseUsageError. */
function attempt<T>(statement: Statement<object>, execute: () => T): T {
  try {
    return execute();
  } catch (error) {
    throw error instanceof DatabaseUsageError ? error : new DatabaseError(statement.name, error);
  }
}
