import { describe, expect, it } from 'vitest';
import { InvalidEnvironmentError } from './config/environment';
import { describeStartupFailure } from './startup-failure';

/** An error as mysql2 raises it for a server's refusal: plain Error, with code, errno and sqlMessage. */
function serverError(code: string, errno: number, sqlMessage: string): Error & { code: string } {
  return Object.assign(new Error(sqlMessage), { code, errno, sqlState: '28000', sqlMessage });
}

function socketError(code: string, fields: Record<string, unknown> = {}): Error & { code: string } {
  return Object.assign(new Error(`connect ${code} 10.0.0.1:3306`), { code, ...fields });
}

// One format for every known failure: "<problem> (<CODE>). <fix>", on one line.
const ONE_LINE_WITH_CODE_AND_FIX = /^[^\n]+ \([A-Z_]+\)\. [A-Z][^\n]+\.$/;

describe('describeStartupFailure', () => {
  it('words every database failure the same way, naming the problem, its code and the fix', () => {
    const failures: [Error & { code: string }, RegExp][] = [
      [socketError('ECONNREFUSED'), /connection refused.*Start the database server/],
      [socketError('ETIMEDOUT'), /no answer within DATABASE_CONNECT_TIMEOUT_MS.*firewall/],
      [socketError('ENOTFOUND'), /host not found.*host name in DATABASE_URL/],
      [socketError('EHOSTUNREACH'), /host unreachable.*network route/],
      // MariaDB answers an unknown user with 1698, MySQL with 1045: both are a refused login.
      [
        serverError('ER_ACCESS_DENIED_NO_PASSWORD_ERROR', 1698, "Access denied for user 'nobody'@'127.0.0.1'"),
        /access denied.*user name and password in DATABASE_URL/,
      ],
      [
        serverError('ER_ACCESS_DENIED_ERROR', 1045, "Access denied for user 'scim'@'10.0.0.2' (using password: YES)"),
        /access denied.*user name and password in DATABASE_URL/,
      ],
      [serverError('ER_BAD_DB_ERROR', 1049, "Unknown database 'scim'"), /does not exist.*CREATE DATABASE/],
      [
        serverError('ER_DBACCESS_DENIED_ERROR', 1044, "Access denied for user 'scim'@'%' to database 'scim'"),
        /may not use its database.*GRANT/,
      ],
      [serverError('ER_CON_COUNT_ERROR', 1040, 'Too many connections'), /no connection left.*DATABASE_POOL_SIZE/],
      [serverError('ER_UNKNOWN_COM_ERROR', 1047, 'Unknown command'), /the database refused: Unknown command.*grants/],
    ];
    for (const [error, says] of failures) {
      const message = describeStartupFailure(error);
      expect(message, error.code).toMatch(ONE_LINE_WITH_CODE_AND_FIX);
      expect(message).toMatch(says);
      expect(message).toContain(`(${error.code})`);
    }
    expect(describeStartupFailure(socketError('ECONNREFUSED'))).toMatch(/^cannot connect to the database: /);
    expect(describeStartupFailure(serverError('ER_ACCESS_DENIED_ERROR', 1045, 'x'))).toMatch(/^cannot connect to the database: /);
  });

  it('words a port that cannot be listened on the same way', () => {
    const inUse = socketError('EADDRINUSE', { syscall: 'listen', address: '0.0.0.0', port: 3000 });
    expect(describeStartupFailure(inUse)).toBe(
      '0.0.0.0:3000 is already in use (EADDRINUSE). Stop the process that holds it, or set PORT (or HOST) to another one.',
    );
    expect(describeStartupFailure(socketError('EACCES', { syscall: 'listen', address: '0.0.0.0', port: 80 }))).toMatch(
      ONE_LINE_WITH_CODE_AND_FIX,
    );
  });

  it('keeps the configuration block as it is, and gives an unknown failure its stack for the report', () => {
    const invalid = new InvalidEnvironmentError(['PORT: PORT must be an integer from 1 to 65535']);
    expect(describeStartupFailure(invalid)).toBe(invalid.message);

    const unexpected = new TypeError('cannot read x\nof undefined');
    const message = describeStartupFailure(unexpected);
    const [first, ...rest] = message.split('\n');
    expect(first).toBe('TypeError: cannot read x of undefined. This is not a known start-up problem: please report it with this output.');
    expect(rest.join('\n')).toContain('startup-failure.spec.ts');
  });
});
