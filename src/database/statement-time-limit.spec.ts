import { QueryFailedError } from 'typeorm';
import { describe, expect, it } from 'vitest';
import { isInterruptedByTimeLimit, mysqlServerOf, withStatementTimeLimit } from './statement-time-limit';

describe('statement time limits', () => {
  it('are written for the server they go to', () => {
    expect(withStatementTimeLimit('SELECT u.id FROM users u WHERE u.id = ?', 'mariadb', 2500)).toBe(
      'SET STATEMENT max_statement_time=2.500 FOR SELECT u.id FROM users u WHERE u.id = ?',
    );
    expect(withStatementTimeLimit('SELECT COUNT(*) AS total FROM users u', 'mysql', 2500)).toBe(
      'SELECT /*+ MAX_EXECUTION_TIME(2500) */ COUNT(*) AS total FROM users u',
    );
    expect(withStatementTimeLimit('SELECT 1', 'mariadb', 1)).toBe('SET STATEMENT max_statement_time=0.001 FOR SELECT 1');
  });

  it('tell MariaDB from MySQL by the version the server reports', () => {
    expect(mysqlServerOf('10.11.19-MariaDB-0+deb12u1')).toBe('mariadb');
    expect(mysqlServerOf('8.4.3')).toBe('mysql');
  });

  it('refuse what they cannot limit', () => {
    expect(() => withStatementTimeLimit('UPDATE users SET active = 0', 'mysql', 100)).toThrow(/only a SELECT/);
    expect(() => withStatementTimeLimit('SELECT 1', 'mysql', 0)).toThrow(/not a statement time limit/);
    expect(() => withStatementTimeLimit('SELECT 1', 'mariadb', 1.5)).toThrow(/not a statement time limit/);
  });

  it('recognise the error of an interrupted statement, also wrapped by TypeORM', () => {
    const mariadb = Object.assign(new Error('Query execution was interrupted (max_statement_time exceeded)'), { errno: 1969 });
    const mysql = Object.assign(new Error('Query execution was interrupted, maximum statement execution time exceeded'), {
      errno: 3024,
      code: 'ER_QUERY_TIMEOUT',
    });
    expect(isInterruptedByTimeLimit(mariadb)).toBe(true);
    expect(isInterruptedByTimeLimit(new QueryFailedError('SELECT 1', [], mysql))).toBe(true);
    expect(isInterruptedByTimeLimit(new Error('wrapped', { cause: mariadb }))).toBe(true);
    expect(isInterruptedByTimeLimit(Object.assign(new Error('Duplicate entry'), { errno: 1062 }))).toBe(false);
    expect(isInterruptedByTimeLimit(null)).toBe(false);
  });
});
