import { describe, expect, it } from 'vitest';
import { renderedSql } from './sql-dialect';
import { statement } from './statement';

describe('renderedSql', () => {
  const plain = statement('unit.dialect.plain', 'SELECT id FROM items WHERE id = ?');
  const forUpdate = statement('unit.dialect.forUpdate', 'SELECT id FROM items WHERE id = ?', { lock: 'update' });
  const shared = statement('unit.dialect.shared', 'SELECT id FROM items WHERE id = ?', { lock: 'share' });
  const limited = statement('unit.dialect.limited', 'select id FROM items', { timeLimitMs: 1500, lock: 'update' });

  it('leaves SQLite statements as written: its transaction is already the only writer, and it has no time limit', () => {
    for (const declared of [plain, forUpdate, shared, limited]) {
      expect(renderedSql('sqlite', declared)).toBe(declared.sql);
    }
  });

  it('adds the lock clause MySQL and MariaDB both understand', () => {
    expect(renderedSql('mysql', forUpdate)).toBe('SELECT id FROM items WHERE id = ? FOR UPDATE');
    expect(renderedSql('mariadb', shared)).toBe('SELECT id FROM items WHERE id = ? LOCK IN SHARE MODE');
    expect(renderedSql('mariadb', plain)).toBe(plain.sql);
  });

  it("writes a time limit in each server's own syntax", () => {
    expect(renderedSql('mariadb', limited)).toBe('SET STATEMENT max_statement_time=1.500 FOR select id FROM items FOR UPDATE');
    expect(renderedSql('mysql', limited)).toBe('select /*+ MAX_EXECUTION_TIME(1500) */ id FROM items FOR UPDATE');
  });

  it('renders each statement once per dialect', () => {
    expect(renderedSql('mysql', forUpdate)).toBe(renderedSql('mysql', forUpdate));
    expect(forUpdate.rendered).toEqual({ sqlite: forUpdate.sql, mysql: 'SELECT id FROM items WHERE id = ? FOR UPDATE' });
  });
});
