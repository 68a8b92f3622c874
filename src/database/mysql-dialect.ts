import { setTimeout as sleep } from 'node:timers/promises';
import { DatabaseSettings, MysqlSettings } from '../config/settings';

const RETRY_DELAY_MS = 1000;

// A server that is still starting refuses connections, or drops them mid-handshake. Anything else
// (a host that does not answer, an unknown host, a refused login) will not mend in a second, so
// retrying it would only delay the operator's error message.
const STILL_STARTING_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'PROTOCOL_CONNECTION_LOST', 'ER_SERVER_SHUTDOWN']);

/**
 * TypeORM reads MariaDB's schema correctly only when told it is MariaDB, and a `mysql://` URL
 * does not say. Asking the server settles it (and doubles as an early, clear connection check).
 */
export async function resolveMysqlDialect(database: DatabaseSettings): Promise<DatabaseSettings> {
  if (database.type !== 'mysql') {
    return database;
  }
  const version = await withRetries(() => serverVersion(database), database.connectRetries);
  return /mariadb/i.test(version) ? { ...database, type: 'mariadb' } : database;
}

async function serverVersion(database: MysqlSettings): Promise<string> {
  // Loaded here, not with the module: the embedded default (SQLite) never needs the driver at start-up.
  const { createConnection } = await import('mysql2/promise');
  const connection = await createConnection({ uri: database.url, connectTimeout: database.connectTimeoutMs });
  try {
    const [rows] = await connection.query<{ version: string }[] & import('mysql2').RowDataPacket[]>('SELECT VERSION() AS version');
    return String(rows[0]?.version ?? '');
  } finally {
    await connection.end();
  }
}

async function withRetries<T>(attempt: () => Promise<T>, retries: number): Promise<T> {
  for (let tried = 0; ; tried += 1) {
    try {
      return await attempt();
    } catch (error) {
      if (tried >= retries || !STILL_STARTING_CODES.has(String((error as { code?: unknown }).code))) {
        throw error;
      }
      await sleep(RETRY_DELAY_MS);
    }
  }
}
