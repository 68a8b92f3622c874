import type { DialectName } from './statement';

export type SqlDialect = 'sqlite' | 'mysql';

export type ComparisonOperator = '=' | '<>' | '<' | '<=' | '>' | '>=';
export type PatternKind = 'co' | 'sw' | 'ew';

/**
 * The SQL that differs between SQLite and MySQL/MariaDB. Every string comparison it writes is
 * exact on both (code point by code point, no case or accent folding, no trailing-space padding),
 * so that callers get one behaviour by folding case themselves where SCIM wants it folded.
 */
export interface DialectSql {
  quote(identifier: string): string;
  /** True (never NULL) when `expression` holds a non-empty string. */
  hasText(expression: string): string;
  /** `left operator right`, compared exactly. */
  compare(left: string, operator: ComparisonOperator, right: string): string;
  /** Equality on a bare indexed column, written so that the index can still be used. */
  equalsOnIndexedColumn(column: string, right: string): string;
  /** The value to bind for `matches`: `value` taken literally, with wildcards around it as `kind` asks. */
  pattern(kind: PatternKind, value: string): string;
  /** `left` matches the bound pattern, exactly. */
  matches(left: string, pattern: string): string;
  /** `left || ' ' || right` */
  joinWithSpace(left: string, right: string): string;
  /** A date-time column as something that compares chronologically with a bound `YYYY-MM-DD HH:MM:SS.fff…`. */
  dateTime(column: string): string;
  /** How many fractional second digits `dateTime` keeps. */
  readonly dateTimeFractionDigits: number;
}

const sqlite: DialectSql = {
  quote: (identifier) => `"${identifier.replace(/"/g, '""')}"`,
  hasText: (expression) => `(${expression} IS NOT NULL AND ${expression} <> '')`,
  // Columns created without COLLATE use SQLite's BINARY collation: already exact.
  compare: (left, operator, right) => `${left} ${operator} ${right}`,
  equalsOnIndexedColumn: (column, right) => `${column} = ${right}`,
  // GLOB, unlike LIKE, is case-sensitive; a wildcard character is taken literally inside [ ].
  pattern: (kind, value) => surround(kind, value.replace(/[*?[]/g, '[$&]'), '*'),
  matches: (left, pattern) => `${left} GLOB ${pattern}`,
  joinWithSpace: (left, right) => `${left} || ' ' || ${right}`,
  // TypeORM writes SQLite date-times as text in more than one shape; strftime makes them comparable.
  dateTime: (column) => `strftime('%Y-%m-%d %H:%M:%f', ${column})`,
  dateTimeFractionDigits: 3,
};

// Comparing bytes sidesteps the column collation (utf8mb4_*_ci folds case and accents, and PAD SPACE
// collations ignore trailing spaces); UTF-8 byte order is code point order, as in SQLite.
const mysql: DialectSql = {
  quote: (identifier) => `\`${identifier.replace(/`/g, '``')}\``,
  hasText: (expression) => `(${expression} IS NOT NULL AND CAST(${expression} AS BINARY) <> CAST('' AS BINARY))`,
  compare: (left, operator, right) => `CAST(${left} AS BINARY) ${operator} CAST(${right} AS BINARY)`,
  // The collation-aware test finds candidates through the index, the byte test keeps only exact ones.
  equalsOnIndexedColumn: (column, right) => `(${column} = ${right} AND CAST(${column} AS BINARY) = CAST(${right} AS BINARY))`,
  // '!' rather than backslash as the escape character: backslash is itself an escape in MySQL string literals.
  pattern: (kind, value) => surround(kind, value.replace(/[!%_]/g, '!$&'), '%'),
  matches: (left, pattern) => `CAST(${left} AS BINARY) LIKE CAST(${pattern} AS BINARY) ESCAPE '!'`,
  joinWithSpace: (left, right) => `CONCAT(${left}, ' ', ${right})`,
  dateTime: (column) => column,
  dateTimeFractionDigits: 6,
};

export function dialectSql(dialect: SqlDialect): DialectSql {
  return dialect === 'sqlite' ? sqlite : mysql;
}

/** The filter dialect of a database: MySQL and MariaDB compare strings alike. */
export function filterDialectOf(dialect: DialectName): SqlDialect {
  return dialect === 'sqlite' ? 'sqlite' : 'mysql';
}

function surround(kind: PatternKind, literal: string, wildcard: string): string {
  switch (kind) {
    case 'co':
      return `${wildcard}${literal}${wildcard}`;
    case 'sw':
      return `${literal}${wildcard}`;
    case 'ew':
      return `${wildcard}${literal}`;
  }
}
