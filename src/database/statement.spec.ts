import { describe, expect, it } from 'vitest';
import { statement, statementCoverage, statementFamily } from './statement';

describe('statement()', () => {
  it('declares a named statement once and reports it in the coverage, unexecuted', () => {
    const declared = statement('unit.statement.find', '  SELECT id FROM items WHERE id = ?  ');
    expect(declared.sql).toBe('SELECT id FROM items WHERE id = ?');
    expect(statementCoverage()).toContainEqual({ name: 'unit.statement.find', kind: 'statement', executions: 0 });
  });

  it('returns the same statement when a module declares it again, and refuses the name for other SQL', () => {
    const first = statement('unit.statement.again', 'SELECT 1 AS one');
    expect(statement('unit.statement.again', 'SELECT 1 AS one')).toBe(first);
    expect(() => statement('unit.statement.again', 'SELECT 2 AS two')).toThrow('declared twice with different SQL');
    expect(() => statement('unit.statement.again', 'SELECT 1 AS one', { timeLimitMs: 5 })).toThrow('declared twice');
  });

  it('refuses names without an area, several statements, and locks or time limits on anything but a SELECT', () => {
    expect(() => statement('find', 'SELECT 1')).toThrow('area.purpose');
    expect(() => statement('unit.statement.semicolon', 'DELETE FROM items;')).toThrow('trailing semicolon');
    expect(() => statement('unit.statement.lockedUpdate', 'UPDATE items SET n = 1', { lock: 'update' })).toThrow('SELECT statements only');
    expect(() => statement('unit.statement.limitedDelete', 'DELETE FROM items', { timeLimitMs: 100 })).toThrow('SELECT statements only');
    expect(() => statement('unit.statement.badLimit', 'SELECT 1', { timeLimitMs: 0.5 })).toThrow('whole number');
  });
});

describe('statementFamily()', () => {
  it('builds one statement per shape, reuses it, and counts every shape under the family name', () => {
    const family = statementFamily('unit.family.filter', (where: string) => `SELECT id FROM items WHERE ${where}`);
    const byName = family.of('name = ?');
    expect(family.of('name = ?')).toBe(byName);
    expect(byName.sql).toBe('SELECT id FROM items WHERE name = ?');
    byName.tally.executions += 1;
    family.of('id = ?').tally.executions += 1;
    expect(statementCoverage()).toContainEqual({ name: 'unit.family.filter', kind: 'family', executions: 2 });
  });

  it('keeps a bounded number of shapes, dropping the oldest', () => {
    const family = statementFamily('unit.family.bounded', (where: string) => `SELECT id FROM items WHERE ${where}`);
    const oldest = family.of('id = 0');
    for (let index = 1; index <= 200; index += 1) {
      family.of(`id = ${index}`);
    }
    expect(family.of('id = 200')).toBe(family.of('id = 200'));
    expect(family.of('id = 0')).not.toBe(oldest);
  });
});
