/**
 * An integer as a query parameter that keeps the SQL text independent of its value.
 *
 * TypeORM's SQLite drivers write number parameters into the SQL text itself
 * (AbstractSqliteDriver.escapeQueryWithParameters), so a query whose numbers change with every
 * call (a purge batch's id bounds, ledger rows, counters) is a new statement each time:
 * better-sqlite3 compiles it, TypeORM's statement cache keeps it for the next 100 queries, and the
 * native memory of thousands of such statements grew the process with the size of the purge
 * (docs/performance.md, "SQLite purge memory"). A string is bound as a parameter instead, and
 * comes back as the same number wherever it meets an integer column: SQLite applies the column's
 * INTEGER affinity to it (in comparisons, IN lists, inserts and arithmetic), MySQL and MariaDB
 * compare an integer column with a numeric string as numbers (still through its index) and store
 * it as the integer.
 *
 * Only for values compared with, added to or stored into integer columns (used by the purge;
 * PreparedSql binds its values itself). Lists of ids need none of this: `IN (:...ids)` binds each
 * element as it is.
 */
export function boundInteger(value: number): string {
  // Anything else would be a string SQLite cannot convert, compared as text with every integer
  // (`id <= 'NaN'` holds for all rows): fail instead of deleting the wrong items.
  if (!Number.isSafeInteger(value)) {
    throw new Error(`not an integer query parameter: ${value}`);
  }
  return String(value);
}

/** boundInteger for an entity's integer column in an insert or update, typed as the property is. */
export function boundIntegerColumn(value: number): number {
  return boundInteger(value) as unknown as number;
}
