import { DataSource, EntityManager } from 'typeorm';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { serializedStatement, serializedTransaction } from './serialized-transaction';

/** Two transactions whose statements interleave, as two requests resolved in the same tick do. */
async function overlapping(run: (work: (manager: EntityManager) => Promise<void>) => Promise<void>, dataSource: DataSource) {
  const write = (value: string) => async (manager: EntityManager) => {
    await manager.query('INSERT INTO notes (value) VALUES (?)', [value]);
    await manager.query('INSERT INTO notes (value) VALUES (?)', [`${value}-2`]);
  };
  const results = await Promise.allSettled([run(write('a')), run(write('b'))]);
  const rows = await dataSource.query<{ value: string }[]>('SELECT value FROM notes ORDER BY value');
  return { failures: results.filter((result) => result.status === 'rejected').length, rows: rows.map((row) => row.value) };
}

describe('serializedTransaction on SQLite (one shared connection)', () => {
  let dataSource: DataSource;

  beforeEach(async () => {
    dataSource = await new DataSource({ type: 'better-sqlite3', database: ':memory:' }).initialize();
    await dataSource.query('CREATE TABLE notes (value TEXT NOT NULL)');
  });

  afterEach(async () => {
    await dataSource.destroy();
  });

  it('is needed: plain overlapping transactions collide on the shared connection', async () => {
    const { failures } = await overlapping((work) => dataSource.transaction(work), dataSource);
    expect(failures).toBeGreaterThan(0);
  });

  it('runs overlapping transactions one after another, each committed whole', async () => {
    const { failures, rows } = await overlapping((work) => serializedTransaction(dataSource, work), dataSource);
    expect(failures).toBe(0);
    expect(rows).toEqual(['a', 'a-2', 'b', 'b-2']);
  });

  it('rolls back a failed transaction without blocking the next one', async () => {
    const failed = serializedTransaction(dataSource, async (manager) => {
      await manager.query('INSERT INTO notes (value) VALUES (?)', ['doomed']);
      throw new Error('boom');
    });
    const next = serializedTransaction(dataSource, (manager) => manager.query('INSERT INTO notes (value) VALUES (?)', ['kept']));
    await expect(failed).rejects.toThrow('boom');
    await next;
    expect(await dataSource.query('SELECT value FROM notes')).toEqual([{ value: 'kept' }]);
  });

  it('keeps a single statement out of a transaction that is open when it is issued', async () => {
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    const failing = serializedTransaction(dataSource, async (manager) => {
      await manager.query('INSERT INTO notes (value) VALUES (?)', ['doomed']);
      await held;
      throw new Error('boom');
    });
    const statement = serializedStatement(dataSource, () => dataSource.query('INSERT INTO notes (value) VALUES (?)', ['single']));
    release();
    await expect(failing).rejects.toThrow('boom');
    await statement;
    // Issued while the doomed transaction was open, the statement ran after its rollback.
    expect(await dataSource.query('SELECT value FROM notes')).toEqual([{ value: 'single' }]);
  });
});
