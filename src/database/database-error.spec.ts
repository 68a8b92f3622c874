import { QueryFailedError } from 'typeorm';
import { describe, expect, it } from 'vitest';
import { DatabaseError, isTimeLimitExceeded, isUniqueViolation } from './database-error';

function driverError(message: string, fields: Record<string, unknown>): Error {
  return Object.assign(new Error(message), fields);
}

describe('DatabaseError', () => {
  it("keeps the driver's code, errno and error, names the statement, and carries no values", () => {
    const cause = driverError("Duplicate entry 'x' for key 'UQ_items_name'", { code: 'ER_DUP_ENTRY', errno: 1062 });
    const error = new DatabaseError('items.insert', cause);
    expect(error).toMatchObject({ name: 'DatabaseError', code: 'ER_DUP_ENTRY', errno: 1062, statement: 'items.insert' });
    expect(error.driverError).toBe(cause);
    expect(error.cause).toBe(cause);
    expect(error.message).toBe("Duplicate entry 'x' for key 'UQ_items_name' (statement items.insert)");
  });

  it('names the time-limit errors mysql2 leaves without a code', () => {
    expect(new DatabaseError('s.x', driverError('interrupted', { errno: 1969 })).code).toBe('ER_STATEMENT_TIMEOUT');
    expect(new DatabaseError('s.x', driverError('interrupted', { errno: 3024 })).code).toBe('ER_QUERY_TIMEOUT');
    expect(new DatabaseError('s.x', driverError('other', { errno: 1 })).code).toBeUndefined();
  });
});

describe('isUniqueViolation', () => {
  it('recognises both databases, from this layer and from TypeORM', () => {
    for (const code of ['ER_DUP_ENTRY', 'SQLITE_CONSTRAINT_UNIQUE', 'SQLITE_CONSTRAINT_PRIMARYKEY']) {
      expect(isUniqueViolation(new DatabaseError('s.x', driverError('dup', { code })))).toBe(true);
      expect(isUniqueViolation(new QueryFailedError('INSERT', [], driverError('dup', { code })))).toBe(true);
    }
  });

  it('is false for other constraint failures and non-errors', () => {
    expect(isUniqueViolation(new DatabaseError('s.x', driverError('fk', { code: 'SQLITE_CONSTRAINT_FOREIGNKEY' })))).toBe(false);
    expect(isUniqueViolation(new DatabaseError('s.x', driverError('null', { code: 'ER_BAD_NULL_ERROR' })))).toBe(false);
    expect(isUniqueViolation(null)).toBe(false);
    expect(isUniqueViolation('ER_DUP_ENTRY')).toBe(false);
  });

  it('finds time limits along the same chain', () => {
    expect(isTimeLimitExceeded(new DatabaseError('s.x', driverError('interrupted', { errno: 1969 })))).toBe(true);
    expect(isTimeLimitExceeded(new DatabaseError('s.x', driverError('dup', { code: 'ER_DUP_ENTRY' })))).toBe(false);
  });
});
