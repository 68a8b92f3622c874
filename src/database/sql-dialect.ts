import type { DialectName, Statement } from './statement';

const LOCK_CLAUSES = { update: ' FOR UPDATE', share: ' LOCK IN SHARE MODE' } as const;

/** The text a dialect executes for a statement, rendered once per statement and dialect. */
export function renderedSql(dialect: DialectName, statement: Statement<object>): string {
  return (statement.rendered[dialect] ??= render(dialect, statement));
}

function render(dialect: DialectName, { sql, lock, timeLimitMs }: Statement<object>): string {
  if (dialect === 'sqlite') {
    return sql;
  }
  const locked = lock ? `${sql}${LOCK_CLAUSES[lock]}` : sql;
  if (timeLimitMs === null) {
    return locked;
  }
  // MariaDB has no MAX_EXECUTION_TIME hint; MySQL has no SET STATEMENT.
  return dialect === 'mariadb'
    ? `SET STATEMENT max_statement_time=${(timeLimitMs / 1000).toFixed(3)} FOR ${locked}`
    : locked.replace(/^\s*SELECT\b/i, (select) => `${select} /*+ MAX_EXECUTION_TIME(${timeLimitMs}) */`);
}
