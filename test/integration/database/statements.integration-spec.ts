import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Database } from '../../../src/database/database';
import { statement, statementCoverage, statementFamily } from '../../../src/database/statement';
import { createItemsTable, IntegrationDatabase, openIntegrationDatabase } from '../support/integration-database';

const CACHE_SIZE = 10;
const INSERT_ITEM = statement('test.statements.insertItem', 'INSERT INTO items (name, counter) VALUES (?, ?)');
const COUNT_ITEMS = statement<{ total: unknown }>('test.statements.countItems', 'SELECT COUNT(*) AS total FROM items WHERE name LIKE ?');
const NEVER_RUN = statement('test.statements.neverRun', 'DELETE FROM items WHERE name = ?');
/** One shape per counter bound: `counter >= n`, written into the SQL as a repository's filter would be. */
const AT_LEAST = statementFamily<string, { name: string }>(
  'test.statements.atLeast',
  (condition) => `SELECT name FROM items WHERE name LIKE ? AND ${condition} ORDER BY name`,
);

function executions(name: string): number | undefined {
  return statementCoverage().find((entry) => entry.name === name)?.executions;
}

describe('statement registry and caches', () => {
  let opened: IntegrationDatabase;
  let database: Database;

  beforeAll(async () => {
    opened = await openIntegrationDatabase({ statementCacheSize: CACHE_SIZE });
    database = opened.database;
    await createItemsTable(opened);
  });

  afterAll(async () => {
    await opened.close();
  });

  it('records how often each declared statement, and each family over all its shapes, ran', async () => {
    const before = { insert: executions('test.statements.insertItem'), family: executions('test.statements.atLeast') };
    await database.run(INSERT_ITEM, ['registry-1', 1]);
    await database.transaction(() => database.run(INSERT_ITEM, ['registry-2', 2]));
    await database.rows(AT_LEAST.of('counter >= 1'), ['registry-%']);
    await database.rows(AT_LEAST.of('counter >= 2'), ['registry-%']);
    await database.run(INSERT_ITEM, ['registry-1', 1]).catch(() => undefined);
    expect(before).toEqual({ insert: 0, family: 0 });
    expect(statementCoverage().filter((entry) => entry.name.startsWith('test.statements.'))).toEqual([
      { name: 'test.statements.atLeast', kind: 'family', executions: 2 },
      { name: 'test.statements.countItems', kind: 'statement', executions: 0 },
      { name: 'test.statements.insertItem', kind: 'statement', executions: 3 },
      { name: 'test.statements.neverRun', kind: 'statement', executions: 0 },
    ]);
    expect(NEVER_RUN.tally.executions).toBe(0);
  });

  it('keeps the SQLite statement caches bounded while ever new shapes run, each still answering correctly', async () => {
    for (let index = 0; index < 30; index += 1) {
      await database.run(INSERT_ITEM, [`shape-${String(index).padStart(2, '0')}`, index]);
    }
    for (let bound = 0; bound < 30; bound += 1) {
      const rows = await database.rows(AT_LEAST.of(`counter >= ${bound}`), ['shape-%']);
      expect(rows).toHaveLength(30 - bound);
      expect(database.cachedStatements).toBeLessThanOrEqual(opened.target === 'sqlite' ? 2 * CACHE_SIZE : 0);
    }
    // Shapes dropped from the cache are compiled again when they come back.
    expect(await database.rows(AT_LEAST.of('counter >= 0'), ['shape-%'])).toHaveLength(30);
    expect(await database.first(COUNT_ITEMS, ['shape-%'])).toEqual({ total: opened.target === 'mysql' ? '30' : 30 });
  });
});
