import type { PoolStatistics } from './borrowed-connections';
import type { DialectName, Statement } from './statement';

export type RunResult = {
  /** Rows the statement matched (an UPDATE counts matched rows on both databases, changed or not). */
  affected: number;
  /** The generated key of an INSERT into a table with an auto-increment key; meaningless otherwise. */
  insertId: number;
};

export type DriverRow = Record<string, unknown>;

/** Where statements run: a transaction's connection, or, outside one, the engine's own way. */
export interface Session {
  rows(statement: Statement<object>, values: unknown[]): DriverRow[] | Promise<DriverRow[]>;
  first(statement: Statement<object>, values: unknown[]): DriverRow | undefined | Promise<DriverRow | undefined>;
  run(statement: Statement<object>, values: unknown[]): RunResult | Promise<RunResult>;
}

/** One database's way of running transactions and statements; `Database` is its only user. */
/**
 * What a WAL checkpoint did: `truncated` (every frame copied into the database file and the WAL
 * emptied), `busy` (a reader still needed older frames; the next checkpoint gets them), or
 * `none` (MySQL, or an in-memory SQLite database: there is no WAL file to empty).
 */
export type CheckpointOutcome = 'truncated' | 'busy' | 'none';

export interface Engine extends Session {
  readonly dialect: DialectName;
  transaction<T>(work: (session: Session) => Promise<T>): Promise<T>;
  exclusive<T>(work: () => Promise<T>): Promise<T>;
  ping(): Promise<void>;
  checkpoint(): Promise<CheckpointOutcome>;
  poolStatistics(): PoolStatistics | null;
  readonly cachedStatements: number;
  close(): Promise<void>;
}
