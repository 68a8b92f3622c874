import { randomBytes } from 'node:crypto';
import { createConnection } from 'mysql2/promise';
import { E2E_DATABASE_PREFIX, mysqlServerUrl } from './e2e-target';

/**
 * A database of one test file on the shared MariaDB/MySQL server, named after the run so the
 * global teardown finds and drops whatever a crashed file left behind.
 */
export function perFileDatabaseName(runId: string): string {
  return `${E2E_DATABASE_PREFIX}${runId}_${randomBytes(4).toString('hex')}`;
}

/** Creates the database and returns its URL. */
export async function createMysqlDatabase(name: string): Promise<string> {
  const connection = await createConnection({ uri: mysqlServerUrl });
  try {
    await connection.query(`CREATE DATABASE \`${name}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`);
  } finally {
    await connection.end();
  }
  return `${mysqlServerUrl}/${name}`;
}

export async function dropMysqlDatabase(name: string): Promise<void> {
  const connection = await createConnection({ uri: mysqlServerUrl });
  try {
    await connection.query(`DROP DATABASE IF EXISTS \`${name}\``);
  } finally {
    await connection.end();
  }
}
