import { DatabaseUsageError } from './database-error';
import type { DialectName } from './statement';

/** What a statement binds. Dates, booleans and integers are converted per dialect (see bindValues). */
export type SqlParameter = string | number | bigint | boolean | Date | Uint8Array | null;

const SQLITE_TEXT_DATE = /^(\d{4})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?$/;

/**
 * The values of one execution as the driver must receive them, matching what TypeORM writes, so
 * rows written either way compare and sort alike:
 * - a Date becomes UTC text `YYYY-MM-DD HH:MM:SS.sss` (TypeORM's SQLite format, and what mysql2
 *   sends for a Date with timezone 'Z'; a DATETIME(6) column keeps it exactly);
 * - a boolean becomes 1 or 0;
 * - an integer: on MySQL/MariaDB a decimal string, because mysql2 binds numbers as DOUBLE, which
 *   MySQL 8 refuses for LIMIT/OFFSET (the string is read as the integer everywhere, through indexes
 *   too); on SQLite a BigInt, because better-sqlite3 binds numbers as REAL (a 7 stored into a text
 *   column would read back as "7.0").
 */
export function bindValues(dialect: DialectName, values: readonly SqlParameter[], statementName: string): unknown[] {
  const bound = new Array<unknown>(values.length);
  const sqlite = dialect === 'sqlite';
  for (let index = 0; index < values.length; index += 1) {
    const value = values[index];
    switch (typeof value) {
      case 'string':
        bound[index] = value;
        break;
      case 'number':
        if (!Number.isFinite(value)) {
          throw new DatabaseUsageError(`statement ${statementName}: value ${index + 1} is ${value}, not a finite number`);
        }
        bound[index] = Number.isSafeInteger(value) ? (sqlite ? BigInt(value) : String(value)) : value;
        break;
      case 'bigint':
        bound[index] = sqlite ? value : value.toString();
        break;
      case 'boolean':
        bound[index] = value ? 1 : 0;
        break;
      case 'object':
        bound[index] = value instanceof Date ? databaseDateText(value, statementName) : value;
        break;
      case 'undefined':
      case 'function':
      case 'symbol':
        throw new DatabaseUsageError(`statement ${statementName}: value ${index + 1} is ${typeof value}; bind null for a missing value`);
    }
  }
  return bound;
}

/** A date as both databases store it: UTC, millisecond text. */
export function databaseDateText(date: Date, statementName = 'unnamed'): string {
  const year = date.getUTCFullYear();
  // Outside MySQL's DATETIME range the text would not even sort: refuse it on both databases.
  if (Number.isNaN(year) || year < 1000 || year > 9999) {
    throw new DatabaseUsageError(`statement ${statementName}: a date outside the years 1000-9999 cannot be stored`);
  }
  return date.toISOString().replace('T', ' ').slice(0, 23);
}

/**
 * A DATETIME column's value as a Date. MySQL's driver already returns a Date (UTC, as TypeORM
 * configures it); SQLite returns the stored text, which is UTC with milliseconds when TypeORM or
 * this layer wrote it and whole seconds when a `datetime('now')` default did.
 */
export function readDate(value: unknown): Date {
  if (value instanceof Date) {
    return value;
  }
  if (typeof value === 'string') {
    const parts = SQLITE_TEXT_DATE.exec(value);
    if (parts) {
      const [, year, month, day, hours, minutes, seconds = '0', fraction = ''] = parts;
      const [y, mo, d, h, mi, s] = [year, month, day, hours, minutes, seconds].map(Number);
      return new Date(Date.UTC(y, mo - 1, d, h, mi, s, Number(fraction.slice(0, 3).padEnd(3, '0'))));
    }
    const zoned = new Date(value);
    if (/[zZ]|[+-]\d{2}:\d{2}$/.test(value) && !Number.isNaN(zoned.getTime())) {
      return zoned;
    }
  }
  throw new TypeError(`not a stored date: ${describe(value)}`);
}

export function readNullableDate(value: unknown): Date | null {
  return value === null || value === undefined ? null : readDate(value);
}

/** A BOOLEAN column (TINYINT on MySQL, INTEGER on SQLite) as true or false. */
export function readBoolean(value: unknown): boolean {
  if (value === 1 || value === '1' || value === true || value === 1n) {
    return true;
  }
  if (value === 0 || value === '0' || value === false || value === 0n) {
    return false;
  }
  throw new TypeError(`not a stored boolean: ${describe(value)}`);
}

/** An integer column or COUNT(*): MySQL returns BIGINT results as strings, SQLite as numbers. */
export function readInteger(value: unknown): number {
  const number = typeof value === 'string' && /^-?\d+$/.test(value) ? Number(value) : typeof value === 'bigint' ? Number(value) : value;
  if (typeof number !== 'number' || !Number.isSafeInteger(number)) {
    throw new TypeError(`not a stored integer: ${describe(value)}`);
  }
  return number;
}

function describe(value: unknown): string {
  if (typeof value === 'string') {
    return `string "${value.slice(0, 40)}"`;
  }
  if (typeof value === 'number' || typeof value === 'bigint' || typeof value === 'boolean') {
    return `${typeof value} ${value}`;
  }
  return value === null ? 'null' : typeof value;
}
