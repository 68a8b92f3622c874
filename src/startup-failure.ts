import { InvalidEnvironmentError } from './config/environment';

type Explanation = { problem: string; fix: string };

// Driver and server error codes (mysql2 names MariaDB's and MySQL's errnos alike).
const DATABASE_FAILURES: Record<string, Explanation> = {
  ECONNREFUSED: {
    problem: 'connection refused: nothing listens at the host and port of DATABASE_URL',
    fix: 'Start the database server, or correct the host and port in DATABASE_URL.',
  },
  ENOTFOUND: { problem: 'host not found', fix: 'Correct the host name in DATABASE_URL.' },
  EAI_AGAIN: { problem: 'host name lookup failed', fix: "Check the host name in DATABASE_URL and this machine's DNS." },
  ETIMEDOUT: {
    problem: 'no answer within DATABASE_CONNECT_TIMEOUT_MS',
    fix: 'Check the host and port in DATABASE_URL, and that no firewall drops traffic from this machine to them.',
  },
  EHOSTUNREACH: { problem: 'host unreachable', fix: 'Check the host in DATABASE_URL and the network route to it.' },
  ENETUNREACH: { problem: 'network unreachable', fix: 'Check the host in DATABASE_URL and the network route to it.' },
  ECONNRESET: {
    problem: 'the server closed the connection',
    fix: 'Check that DATABASE_URL points at a MySQL or MariaDB server (not another service), and its log.',
  },
  ER_ACCESS_DENIED_ERROR: {
    problem: 'access denied for the user in DATABASE_URL',
    fix: 'Check the user name and password in DATABASE_URL (percent-encode special characters) and that the user may connect from this host.',
  },
  ER_ACCESS_DENIED_NO_PASSWORD_ERROR: {
    problem: 'access denied for the user in DATABASE_URL',
    fix: 'Check the user name and password in DATABASE_URL (percent-encode special characters) and that the user may connect from this host.',
  },
  ER_HOST_NOT_PRIVILEGED: {
    problem: 'this host may not connect to the database server',
    fix: "Allow the user in DATABASE_URL to connect from this host (CREATE USER 'user'@'host' ...).",
  },
  ER_DBACCESS_DENIED_ERROR: {
    problem: 'the user in DATABASE_URL may not use its database',
    fix: "Grant it: GRANT ALL ON `database`.* TO 'user'@'host'.",
  },
  ER_BAD_DB_ERROR: {
    problem: 'the database named in DATABASE_URL does not exist',
    fix: 'Create it: CREATE DATABASE `name` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci.',
  },
  ER_CON_COUNT_ERROR: {
    problem: 'the database server has no connection left',
    fix: 'Raise its max_connections, or lower DATABASE_POOL_SIZE times the number of processes.',
  },
  ER_NOT_SUPPORTED_AUTH_MODE: {
    problem: 'the server asks for an authentication method the driver does not support',
    fix: 'Give the user in DATABASE_URL a supported method (mysql_native_password or caching_sha2_password).',
  },
};

const LISTEN_FAILURES: Record<string, (address: string) => Explanation> = {
  EADDRINUSE: (address) => ({
    problem: `${address} is already in use`,
    fix: 'Stop the process that holds it, or set PORT (or HOST) to another one.',
  }),
  EACCES: (address) => ({
    problem: `no permission to listen on ${address}`,
    fix: 'Set PORT to 1024 or above, or run with the privilege to bind low ports.',
  }),
  EADDRNOTAVAIL: (address) => ({
    problem: `${address} is not an address of this machine`,
    fix: 'Set HOST to one of its addresses, or 0.0.0.0.',
  }),
};

/**
 * What an operator reads when the service (or a CLI command) cannot start: one line naming the
 * problem, its code and the fix (one block for configuration, one line per bad setting); never a
 * password or a value from the environment, and a stack trace only for a failure nobody foresaw.
 */
export function describeStartupFailure(error: unknown): string {
  if (error instanceof InvalidEnvironmentError) {
    return error.message;
  }
  const { code, syscall, address, port } = (error ?? {}) as { code?: unknown; syscall?: unknown; address?: unknown; port?: unknown };
  if (typeof code === 'string' && syscall === 'listen' && Object.hasOwn(LISTEN_FAILURES, code)) {
    const where = `${typeof address === 'string' ? address : 'the address'}:${typeof port === 'number' ? port : '?'}`;
    return line(LISTEN_FAILURES[code](where), code);
  }
  if (typeof code === 'string' && Object.hasOwn(DATABASE_FAILURES, code)) {
    const { problem, fix } = DATABASE_FAILURES[code];
    return line({ problem: `cannot connect to the database: ${problem}`, fix }, code);
  }
  if (typeof code === 'string' && /^ER_/.test(code)) {
    // A server error this table does not know: its own message names the problem.
    const detail = (error as { sqlMessage?: unknown }).sqlMessage;
    const problem = `the database refused: ${typeof detail === 'string' ? detail : 'an error'}`;
    return line({ problem, fix: "Check DATABASE_URL, the database user's grants and the database server's log." }, code);
  }
  // Not a known start-up problem, so a defect: whoever fixes it needs the stack.
  const problem = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  const fix = 'This is not a known start-up problem: please report it with this output.';
  const stack = error instanceof Error && error.stack ? `\n${error.stack.split('\n').slice(1).join('\n')}` : '';
  return `${line({ problem, fix }, typeof code === 'string' ? code : undefined)}${stack}`;
}

function line({ problem, fix }: Explanation, code: string | undefined): string {
  return `${problem.replace(/\s+/g, ' ').trim()}${code ? ` (${code})` : ''}. ${fix}`;
}
