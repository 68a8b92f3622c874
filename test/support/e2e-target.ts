/**
 * Which real services the e2e suite runs against. `E2E_DB=mysql` selects MariaDB/MySQL and Redis;
 * anything else (default) the embedded SQLite setup with no Redis.
 */
export type E2eDatabase = 'sqlite' | 'mysql';

export function e2eDatabase(): E2eDatabase {
  const chosen = process.env.E2E_DB ?? 'sqlite';
  if (chosen !== 'sqlite' && chosen !== 'mysql') {
    throw new Error(`E2E_DB must be "sqlite" or "mysql", not "${chosen}"`);
  }
  return chosen;
}

/** Server URL without a database name; each test file creates and drops its own database. */
export const mysqlServerUrl = (process.env.E2E_MYSQL_URL ?? 'mysql://root@127.0.0.1:3306').replace(/\/+$/, '');
export const redisUrl = process.env.E2E_REDIS_URL ?? 'redis://127.0.0.1:6379';

export const E2E_DATABASE_PREFIX = 'e2e_';

/** Where the e2e suite keeps file bytes: `E2E_STORAGE=s3` starts an S3 server per test file. */
export type E2eStorage = 'local' | 's3';

export function e2eStorage(): E2eStorage {
  const chosen = process.env.E2E_STORAGE ?? 'local';
  if (chosen !== 'local' && chosen !== 's3') {
    throw new Error(`E2E_STORAGE must be "local" or "s3", not "${chosen}"`);
  }
  return chosen;
}
