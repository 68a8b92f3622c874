import { join } from 'node:path';
import Database from 'better-sqlite3';
import { createConnection } from 'mysql2/promise';

/**
 * Reads the database the service under test uses, from outside the service: for checks made
 * while, or after, service processes were killed.
 */
export async function queryServiceDatabase<T>(sql: string, parameters: unknown[] = []): Promise<T[]> {
  const url = process.env.DATABASE_URL;
  if (url) {
    const connection = await createConnection({ uri: url.replace(/^mariadb:/, 'mysql:') });
    try {
      const [rows] = await connection.query(sql, parameters);
      return rows as T[];
    } finally {
      await connection.end();
    }
  }
  const database = new Database(join(process.env.DATA_DIR!, 'scim.sqlite'), { readonly: true, fileMustExist: true });
  try {
    return database.prepare(sql).all(...parameters) as T[];
  } finally {
    database.close();
  }
}
