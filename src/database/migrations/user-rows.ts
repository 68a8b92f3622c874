import { QueryRunner } from 'typeorm';

const BATCH_SIZE = 500;

export type UserRow = Record<string, string | null>;

/**
 * Visits every users row, `columns` (which must include `id`) at a time in batches of BATCH_SIZE,
 * in id order, with the same SQL on SQLite and MySQL: migrations that rewrite values in
 * JavaScript never hold the whole table in memory.
 */
export async function forEachUserBatch(
  queryRunner: QueryRunner,
  columns: readonly string[],
  where: string,
  visit: (rows: UserRow[]) => Promise<void>,
): Promise<void> {
  let after = '';
  for (;;) {
    const rows = (await queryRunner.query(
      `SELECT ${columns.join(', ')} FROM users WHERE (${where}) AND id > ? ORDER BY id LIMIT ${BATCH_SIZE}`,
      [after],
    )) as UserRow[];
    if (rows.length === 0) {
      return;
    }
    await visit(rows);
    after = String(rows[rows.length - 1].id);
  }
}

export function isMysql(queryRunner: QueryRunner): boolean {
  const type = queryRunner.connection.options.type;
  return type === 'mysql' || type === 'mariadb';
}
