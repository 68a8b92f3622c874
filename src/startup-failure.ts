import { InvalidEnvironmentError } from './config/environment';

const CONNECTION_CODES: Record<string, string> = {
  ECONNREFUSED: 'connection refused',
  ENOTFOUND: 'host not found',
  ETIMEDOUT: 'connection timed out',
  EHOSTUNREACH: 'host unreachable',
  ER_ACCESS_DENIED_ERROR: 'access denied (check user and password)',
  ER_BAD_DB_ERROR: 'database does not exist',
};

/** One line (or one block, for configuration) an operator can act on; never a stack trace. */
export function describeStartupFailure(error: unknown): string {
  if (error instanceof InvalidEnvironmentError) {
    return error.message;
  }
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code === 'string' && code in CONNECTION_CODES) {
    return `cannot connect to the database: ${CONNECTION_CODES[code]} (${code}). Check DATABASE_URL.`;
  }
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}
