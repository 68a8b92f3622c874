/** The two servers behind a mysql:// URL, which spell a statement time limit differently. */
export type MysqlServer = 'mariadb' | 'mysql';

// MariaDB's ER_STATEMENT_TIMEOUT and MySQL's ER_QUERY_TIMEOUT. mysql2 has no name for MariaDB's
// number (its `code` is undefined), so errors are told apart by number.
const INTERRUPTED_BY_TIME_LIMIT = new Set([1969, 3024]);

/** A query the server stopped because it ran past its time limit. */
export class StatementTimeLimitExceeded extends Error {
  constructor(
    readonly timeLimitMs: number,
    options?: { cause?: unknown },
  ) {
    super(`the statement ran past its time limit of ${timeLimitMs} ms and was stopped by the database`, options);
    this.name = 'StatementTimeLimitExceeded';
  }
}

export function mysqlServerOf(version: string): MysqlServer {
  return /mariadb/i.test(version) ? 'mariadb' : 'mysql';
}

/**
 * `sql` (a SELECT) with a time limit the server enforces. The limit is written into the text, not
 * bound: both forms take only literals. It is a setting, so the text stays one prepared statement.
 */
export function withStatementTimeLimit(sql: string, server: MysqlServer, timeLimitMs: number): string {
  if (!Number.isSafeInteger(timeLimitMs) || timeLimitMs <= 0) {
    throw new Error(`not a statement time limit: ${timeLimitMs}`);
  }
  if (!/^SELECT\s/i.test(sql)) {
    throw new Error('only a SELECT can be given a time limit');
  }
  if (server === 'mariadb') {
    // In seconds, with microsecond precision.
    return `SET STATEMENT max_statement_time=${(timeLimitMs / 1000).toFixed(3)} FOR ${sql}`;
  }
  // The optimizer hint must follow the SELECT keyword directly.
  return sql.replace(/^SELECT\s/i, `SELECT /*+ MAX_EXECUTION_TIME(${timeLimitMs}) */ `);
}

/** Whether the database stopped the statement for its time limit (through TypeORM's wrapping too). */
export function isInterruptedByTimeLimit(error: unknown): boolean {
  for (let current: unknown = error, depth = 0; current && depth < 4; depth += 1) {
    const errno = (current as { errno?: unknown }).errno;
    if (typeof errno === 'number' && INTERRUPTED_BY_TIME_LIMIT.has(errno)) {
      return true;
    }
    const { driverError, cause } = current as { driverError?: unknown; cause?: unknown };
    current = driverError ?? cause;
  }
  return false;
}
