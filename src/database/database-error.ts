/**
 * A statement the database refused or could not run. It keeps the driver's `code` (and `errno`)
 * on itself and the driver's error as `driverError` and `cause`, the chain the HTTP error mapping
 * walks to answer 503 when the database is unreachable. It carries the statement's name, never
 * its values (they may be secrets).
 */
export class DatabaseError extends Error {
  override readonly name = 'DatabaseError';
  readonly code: string | undefined;
  readonly errno: number | undefined;

  constructor(
    readonly statement: string,
    readonly driverError: unknown,
  ) {
    super(`${driverMessage(driverError)} (statement ${statement})`, { cause: driverError });
    const { code, errno } = (driverError ?? {}) as { code?: unknown; errno?: unknown };
    this.errno = typeof errno === 'number' ? errno : undefined;
    this.code = typeof code === 'string' ? code : this.errno !== undefined ? UNNAMED_ERRNOS[this.errno] : undefined;
  }
}

/** The data layer used wrongly (a programming error, not a database failure). */
export class DatabaseUsageError extends Error {
  override readonly name = 'DatabaseUsageError';
}

const UNIQUE_VIOLATION_CODES = new Set(['ER_DUP_ENTRY', 'SQLITE_CONSTRAINT_UNIQUE', 'SQLITE_CONSTRAINT_PRIMARYKEY']);
const TIME_LIMIT_CODES = new Set(['ER_STATEMENT_TIMEOUT', 'ER_QUERY_TIMEOUT']);

// mysql2 names MySQL's error numbers but not these MariaDB/MySQL time-limit ones.
const UNNAMED_ERRNOS: Readonly<Record<number, string>> = { 1969: 'ER_STATEMENT_TIMEOUT', 3024: 'ER_QUERY_TIMEOUT' };
const MAX_CHAIN = 4;

/** True when a unique index refused the row, on either database (from this layer or from TypeORM). */
export function isUniqueViolation(error: unknown): boolean {
  return codesOf(error).some((code) => UNIQUE_VIOLATION_CODES.has(code));
}

/** True when MySQL/MariaDB stopped a statement at its time limit. */
export function isTimeLimitExceeded(error: unknown): boolean {
  return codesOf(error).some((code) => TIME_LIMIT_CODES.has(code));
}

/** The driver codes along `code` → `driverError` → `cause`, as the HTTP error mapping walks them. */
function codesOf(error: unknown): string[] {
  const codes: string[] = [];
  for (let current: unknown = error, depth = 0; current && typeof current === 'object' && depth < MAX_CHAIN; depth += 1) {
    const { code, driverError, cause } = current as { code?: unknown; driverError?: unknown; cause?: unknown };
    if (typeof code === 'string') {
      codes.push(code);
    }
    current = driverError ?? cause;
  }
  return codes;
}

function driverMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
