import { randomUUID } from 'node:crypto';
import { QueryFailedError } from 'typeorm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Database } from '../../../src/database/database';
import { DatabaseError, isUniqueViolation } from '../../../src/database/database-error';
import { readBoolean, readDate, readInteger } from '../../../src/database/sql-values';
import { statement } from '../../../src/database/statement';
import { Organization } from '../../../src/organizations/organization.entity';
import { createItemsTable, IntegrationDatabase, openIntegrationDatabase } from '../support/integration-database';

const INSERT_ITEM = statement('test.values.insertItem', 'INSERT INTO items (name, counter, flag, note, at) VALUES (?, ?, ?, ?, ?)');
const ITEM_BY_ID = statement<{ id: number; name: string; counter: unknown; flag: unknown; note: string | null; at: unknown }>(
  'test.values.itemById',
  'SELECT id, name, counter, flag, note, at FROM items WHERE id = ?',
);
const STORED_AT_TEXT = statement<{ text: string }>('test.values.storedAtText', 'SELECT CAST(at AS CHAR) AS text FROM items WHERE id = ?');
const FLAGGED_NAMES = statement<{ name: string }>(
  'test.values.flaggedNames',
  'SELECT name FROM items WHERE flag = ? AND name LIKE ? ORDER BY name',
);
const PAGE = statement<{ name: string }>('test.values.page', 'SELECT name FROM items WHERE name LIKE ? ORDER BY id LIMIT ? OFFSET ?');
const COUNT_LIKE = statement<{ total: unknown }>('test.values.countLike', 'SELECT COUNT(*) AS total FROM items WHERE name LIKE ?');
const INSERT_ORGANIZATION = statement(
  'test.values.insertOrganization',
  'INSERT INTO organizations (id, name, hostname, created_at, updated_at) VALUES (?, ?, ?, ?, ?)',
);
const INSERT_ORGANIZATION_DEFAULT_TIMES = statement(
  'test.values.insertOrganizationDefaultTimes',
  'INSERT INTO organizations (id, name, hostname) VALUES (?, ?, ?)',
);
const ORGANIZATIONS_AT = statement<{ id: string }>(
  'test.values.organizationsAt',
  'SELECT id FROM organizations WHERE created_at = ? AND name = ? ORDER BY id',
);
const ORGANIZATIONS_IN_ORDER = statement<{ id: string; created_at: unknown }>(
  'test.values.organizationsInOrder',
  'SELECT id, created_at FROM organizations WHERE name = ? ORDER BY created_at, id',
);
const ORGANIZATIONS_CREATED_BEFORE = statement<{ id: string }>(
  'test.values.organizationsCreatedBefore',
  'SELECT id FROM organizations WHERE name = ? AND created_at < ? ORDER BY id',
);

describe('Database values: dates, booleans, integers, keys and constraint errors', () => {
  let opened: IntegrationDatabase;
  let database: Database;

  beforeAll(async () => {
    opened = await openIntegrationDatabase();
    database = opened.database;
    await createItemsTable(opened);
  });

  afterAll(async () => {
    await opened.close();
  });

  it('reads a date back equal to the one written, stored as the text TypeORM writes (milliseconds; DATETIME(6) on MySQL)', async () => {
    const at = new Date('2031-04-05T06:07:08.912Z');
    const { insertId } = await database.run(INSERT_ITEM, ['date-1', 0, false, null, at]);
    const row = await database.first(ITEM_BY_ID, [insertId]);
    expect(readDate(row?.at)).toEqual(at);
    const stored = await database.first(STORED_AT_TEXT, [insertId]);
    expect(stored?.text).toBe(opened.target === 'mysql' ? '2031-04-05 06:07:08.912000' : '2031-04-05 06:07:08.912');
  });

  it('compares and sorts dates alike with rows written by TypeORM and by column defaults', async () => {
    const name = `dates-${randomUUID()}`;
    const organizations = opened.dataSource.getRepository(Organization);
    const before = new Date(Date.now() - 1000);
    await database.run(INSERT_ORGANIZATION_DEFAULT_TIMES, ['by-default', name, `${randomUUID()}.example`]);
    const [byDefault] = await database.rows(ORGANIZATIONS_IN_ORDER, [name]);
    const defaulted = readDate(byDefault.created_at);
    // SQLite's datetime('now') default keeps whole seconds; MySQL's CURRENT_TIMESTAMP(6) keeps microseconds.
    expect(defaulted.getTime()).toBeGreaterThanOrEqual(Math.floor(before.getTime() / 1000) * 1000);
    const at = new Date(defaulted.getTime() + 1500);
    await database.exclusive(() =>
      organizations.insert({ id: 'by-typeorm', name, hostname: `${randomUUID()}.example`, createdAt: at, updatedAt: at }),
    );
    await database.run(INSERT_ORGANIZATION, ['by-provider', name, `${randomUUID()}.example`, at, at]);
    await database.run(INSERT_ORGANIZATION, ['by-provider-later', name, `${randomUUID()}.example`, new Date(at.getTime() + 1), at]);
    await database.run(INSERT_ORGANIZATION, [
      'by-provider-earlier',
      name,
      `${randomUUID()}.example`,
      new Date(defaulted.getTime() - 1000),
      at,
    ]);

    expect((await database.rows(ORGANIZATIONS_AT, [at, name])).map((row) => row.id)).toEqual(['by-provider', 'by-typeorm']);
    expect((await database.rows(ORGANIZATIONS_IN_ORDER, [name])).map((row) => row.id)).toEqual([
      'by-provider-earlier',
      'by-default',
      'by-provider',
      'by-typeorm',
      'by-provider-later',
    ]);
    expect((await database.rows(ORGANIZATIONS_CREATED_BEFORE, [name, at])).map((row) => row.id)).toEqual([
      'by-default',
      'by-provider-earlier',
    ]);
    expect((await organizations.findOneByOrFail({ id: 'by-provider' })).createdAt).toEqual(at);
  });

  it('binds booleans as the 1/0 TypeORM stores and reads them back as booleans', async () => {
    await database.run(INSERT_ITEM, ['bool-yes', 0, true, null, null]);
    await database.run(INSERT_ITEM, ['bool-no', 0, false, null, null]);
    expect((await database.rows(FLAGGED_NAMES, [true, 'bool-%'])).map((row) => row.name)).toEqual(['bool-yes']);
    expect((await database.rows(FLAGGED_NAMES, [false, 'bool-%'])).map((row) => row.name)).toEqual(['bool-no']);
    const [typeormRow] = await opened.dataSource.query<{ flag: unknown }[]>('SELECT flag FROM items WHERE name = ?', ['bool-yes']);
    expect(readBoolean(typeormRow.flag)).toBe(true);
  });

  it('binds integers for LIMIT/OFFSET with one prepared statement whatever the values, and stores them as integers', async () => {
    for (let index = 0; index < 12; index += 1) {
      await database.run(INSERT_ITEM, [`page-${String(index).padStart(2, '0')}`, index, false, 7, null]);
    }
    const cachedBefore = database.cachedStatements;
    expect((await database.rows(PAGE, ['page-%', 5, 10])).map((row) => row.name)).toEqual(['page-10', 'page-11']);
    expect((await database.rows(PAGE, ['page-%', 2, 3])).map((row) => row.name)).toEqual(['page-03', 'page-04']);
    expect((await database.rows(PAGE, ['page-%', 100, 0])).map((row) => row.name)).toHaveLength(12);
    expect(database.cachedStatements - cachedBefore).toBeLessThanOrEqual(1);
    expect(readInteger((await database.first(COUNT_LIKE, ['page-%']))?.total)).toBe(12);
    // An integer bound into a text column reads back as "7", not SQLite's REAL "7.0".
    const [row] = await opened.dataSource.query<{ note: string; counter: unknown }[]>('SELECT note, counter FROM items WHERE name = ?', [
      'page-11',
    ]);
    expect(row.note).toBe('7');
    expect(readInteger(row.counter)).toBe(11);
  });

  it('returns the generated key of an INSERT and the rows an UPDATE matched', async () => {
    const first = await database.run(INSERT_ITEM, ['key-1', 0, false, null, null]);
    const second = await database.run(INSERT_ITEM, ['key-2', 0, false, null, null]);
    expect(first.affected).toBe(1);
    expect(second.insertId).toBeGreaterThan(first.insertId);
    expect((await database.first(ITEM_BY_ID, [second.insertId]))?.name).toBe('key-2');
    const touch = statement('test.values.touch', 'UPDATE items SET counter = ? WHERE name LIKE ?');
    expect((await database.run(touch, [0, 'key-%'])).affected).toBe(2);
    expect((await database.run(touch, [0, 'no-such-%'])).affected).toBe(0);
  });

  it('reports a unique violation as such on both databases, from this layer and from TypeORM, and nothing else', async () => {
    await database.run(INSERT_ITEM, ['unique-1', 0, false, null, null]);
    const duplicate = await database.run(INSERT_ITEM, ['unique-1', 0, false, null, null]).then(
      () => null,
      (error: unknown) => error,
    );
    expect(duplicate).toBeInstanceOf(DatabaseError);
    expect(isUniqueViolation(duplicate)).toBe(true);
    expect((duplicate as DatabaseError).code).toBe(opened.target === 'mysql' ? 'ER_DUP_ENTRY' : 'SQLITE_CONSTRAINT_UNIQUE');
    expect((duplicate as DatabaseError).message).toContain('test.values.insertItem');

    const typeormDuplicate = await database
      .exclusive(() => opened.dataSource.query('INSERT INTO items (name) VALUES (?)', ['unique-1']))
      .then(
        () => null,
        (error: unknown) => error,
      );
    expect(typeormDuplicate).toBeInstanceOf(QueryFailedError);
    expect(isUniqueViolation(typeormDuplicate)).toBe(true);

    const missingName = statement('test.values.insertWithoutName', 'INSERT INTO items (name) VALUES (?)');
    const notNull = await database.run(missingName, [null]).then(
      () => null,
      (error: unknown) => error,
    );
    expect(notNull).toBeInstanceOf(DatabaseError);
    expect(isUniqueViolation(notNull)).toBe(false);
  });

  it('refuses values that cannot be stored faithfully, and a statement run with the wrong method', async () => {
    await expect(database.run(INSERT_ITEM, ['bad-1', 0, false, null, new Date('invalid')])).rejects.toThrow(/years 1000-9999/);
    await expect(database.run(INSERT_ITEM, ['bad-2', Number.NaN, false, null, null])).rejects.toThrow(/not a finite number/);
    await expect(database.run(INSERT_ITEM, ['bad-3', 0, false, undefined as unknown as null, null])).rejects.toThrow(/bind null/);
    await expect(database.run(ITEM_BY_ID, [1])).rejects.toThrow(/returns rows/);
    await expect(database.rows(INSERT_ITEM, ['bad-4', 0, false, null, null])).rejects.toThrow(/returns no rows/);
  });
});
