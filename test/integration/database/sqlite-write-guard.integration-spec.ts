import { DataSource } from 'typeorm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Database } from '../../../src/database/database';
import { migrations } from '../../../src/database/migrations';
import { statement } from '../../../src/database/statement';
import { Organization } from '../../../src/organizations/organization.entity';
import { createItemsTable, IntegrationDatabase, openIntegrationDatabase } from '../support/integration-database';

type RawConnection = {
  prepare(sql: string): { run(...values: unknown[]): unknown; all(...values: unknown[]): unknown[] };
  exec(sql: string): unknown;
  pragma(source: string, options?: { simple?: boolean }): unknown;
};

const INSERT_ITEM = statement('test.guard.insertItem', 'INSERT INTO items (name) VALUES (?)');
const NAMES_LIKE = statement<{ name: string }>('test.guard.namesLike', 'SELECT name FROM items WHERE name LIKE ? ORDER BY name');
const OUTSIDE_TURN = /SQLite write outside the write turn/;

/** The raw better-sqlite3 handle TypeORM holds, as any code could reach it. */
function rawConnection(dataSource: DataSource): RawConnection {
  return (dataSource.driver as unknown as { databaseConnection: RawConnection }).databaseConnection;
}

/**
 * The proof that no code path can write on the shared SQLite connection outside a write turn:
 * with the guard on, every way in (TypeORM's DataSource, EntityManager, QueryRunner, repositories,
 * the raw handle) throws. SQLite only, whichever database the run targets: the guard exists for it.
 */
describe('SQLite write guard', () => {
  let opened: IntegrationDatabase;
  let database: Database;
  let dataSource: DataSource;

  async function names(prefix: string): Promise<string[]> {
    return (await database.rows(NAMES_LIKE, [`${prefix}%`])).map((row) => row.name);
  }

  beforeAll(async () => {
    opened = await openIntegrationDatabase({ target: 'sqlite', sqliteFile: 'guard.sqlite' });
    ({ database, dataSource } = opened);
    await createItemsTable(opened);
  });

  afterAll(async () => {
    await opened.close();
  });

  it('throws for a TypeORM write outside a turn, through the DataSource, a transaction or a repository', async () => {
    await expect(dataSource.query('INSERT INTO items (name) VALUES (?)', ['typeorm-query'])).rejects.toThrow(OUTSIDE_TURN);
    await expect(
      dataSource.transaction((manager) => manager.query('INSERT INTO items (name) VALUES (?)', ['typeorm-transaction'])),
    ).rejects.toThrow(OUTSIDE_TURN);
    await expect(
      dataSource.getRepository(Organization).insert({ id: 'guard-org', name: 'Guard', hostname: 'guard.example' }),
    ).rejects.toThrow(OUTSIDE_TURN);
    const runner = dataSource.createQueryRunner();
    try {
      await expect(runner.query('DELETE FROM items')).rejects.toThrow(OUTSIDE_TURN);
    } finally {
      await runner.release();
    }
    expect(await names('typeorm-')).toEqual([]);
    expect(await dataSource.getRepository(Organization).findOneBy({ id: 'guard-org' })).toBeNull();
  });

  it('throws for a write on the raw handle outside a turn, whatever the method', () => {
    const raw = rawConnection(dataSource);
    expect(() => raw.prepare('INSERT INTO items (name) VALUES (?)').run('raw-run')).toThrow(OUTSIDE_TURN);
    expect(() => raw.prepare('INSERT INTO items (name) VALUES (?) RETURNING id').all('raw-returning')).toThrow(OUTSIDE_TURN);
    expect(() => raw.exec("DELETE FROM items WHERE name = 'x'")).toThrow(OUTSIDE_TURN);
    expect(() => raw.pragma('foreign_keys = OFF')).toThrow(OUTSIDE_TURN);
    expect(raw.pragma('foreign_keys', { simple: true })).toBe(1);
    expect(raw.prepare('SELECT COUNT(*) AS total FROM items').all()).toHaveLength(1);
  });

  it('lets reads through TypeORM and writes through Database pass', async () => {
    await database.run(INSERT_ITEM, ['provider-1']);
    await database.transaction(() => database.run(INSERT_ITEM, ['provider-2']));
    expect(await dataSource.query('SELECT name FROM items WHERE name LIKE ? ORDER BY name', ['provider-%'])).toEqual([
      { name: 'provider-1' },
      { name: 'provider-2' },
    ]);
  });

  it('lets a TypeORM write inside a Database transaction run in it, committed or rolled back with it', async () => {
    await database.transaction(() => dataSource.query('INSERT INTO items (name) VALUES (?)', ['joined-commit']));
    await expect(
      database.transaction(async () => {
        await dataSource.query('INSERT INTO items (name) VALUES (?)', ['joined-rollback']);
        throw new Error('rolled back');
      }),
    ).rejects.toThrow('rolled back');
    expect(await names('joined-')).toEqual(['joined-commit']);
  });

  it('shares the write turns with a second Database opened on the same data source', async () => {
    const second = await Database.open(dataSource);
    try {
      await second.run(INSERT_ITEM, ['second-1']);
      await Promise.all([
        database.transaction(() => database.run(INSERT_ITEM, ['second-2'])),
        second.transaction(() => second.run(INSERT_ITEM, ['second-3'])),
        database.run(INSERT_ITEM, ['second-4']),
      ]);
      expect(await names('second-')).toEqual(['second-1', 'second-2', 'second-3', 'second-4']);
    } finally {
      await second.close();
    }
  });

  it('forgets the statements TypeORM compiled before the guard, so a repeat of one cannot slip past it', async () => {
    await opened.close();
    const unguarded = await openIntegrationDatabase({ target: 'sqlite', sqliteFile: 'guard.sqlite', guardSqliteWrites: false });
    await unguarded.dataSource.query('INSERT INTO items (name) VALUES (?)', ['cached-before-guard']);
    const guarded = await Database.open(unguarded.dataSource, { guardSqliteWrites: true });
    await expect(unguarded.dataSource.query('INSERT INTO items (name) VALUES (?)', ['cached-after-guard'])).rejects.toThrow(OUTSIDE_TURN);
    await guarded.close();
    await unguarded.close();
    opened = await openIntegrationDatabase({ target: 'sqlite', sqliteFile: 'guard.sqlite' });
    ({ database, dataSource } = opened);
    expect(await names('cached-')).toEqual(['cached-before-guard']);
  });

  it('lets TypeORM revert and re-apply a migration inside exclusive(), and refuses it outside', async () => {
    const [last] = migrations.slice(-1);
    await expect(dataSource.undoLastMigration({ transaction: 'each' })).rejects.toThrow(OUTSIDE_TURN);
    await database.exclusive(() => dataSource.undoLastMigration({ transaction: 'each' }));
    expect(await dataSource.query('SELECT name FROM migrations WHERE name = ?', [last.name])).toEqual([]);
    await database.exclusive(() => dataSource.runMigrations({ transaction: 'each' }));
    expect(await dataSource.query('SELECT name FROM migrations WHERE name = ?', [last.name])).toEqual([{ name: last.name }]);
  });
});
