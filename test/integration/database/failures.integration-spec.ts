import { ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import { createConnection } from 'mysql2/promise';
import { afterEach, describe, expect, it } from 'vitest';
import { describeError } from '../../../src/common/errors/error-response';
import { DatabaseError } from '../../../src/database/database-error';
import { readInteger } from '../../../src/database/sql-values';
import { statement } from '../../../src/database/statement';
import { mysqlServerUrl } from '../../support/e2e-target';
import { createItemsTable, IntegrationDatabase, openIntegrationDatabase } from '../support/integration-database';

const INSERT_ITEM = statement('test.failures.insertItem', 'INSERT INTO items (name) VALUES (?)');
const NAMES_LIKE = statement<{ name: string }>('test.failures.namesLike', 'SELECT name FROM items WHERE name LIKE ? ORDER BY name');
const CONNECTION_ID = statement<{ id: unknown }>('test.failures.connectionId', 'SELECT CONNECTION_ID() AS id');
const SLOW = statement('test.failures.slow', 'SELECT SLEEP(5) AS slept');

/** Another process that takes SQLite's write lock (as the CLI does) and holds it for `holdMs`. */
async function lockingProcess(file: string, holdMs: number): Promise<ChildProcess> {
  const script = `
    const db = new (require('better-sqlite3'))(${JSON.stringify(file)});
    db.exec('BEGIN IMMEDIATE');
    db.prepare("INSERT INTO items (name) VALUES ('cli-write')").run();
    process.stdout.write('locked\\n');
    setTimeout(() => { db.exec('COMMIT'); db.close(); }, ${holdMs});`;
  const child = spawn(process.execPath, ['-e', script], { cwd: process.cwd(), stdio: ['ignore', 'pipe', 'inherit'] });
  await once(child.stdout, 'data');
  return child;
}

/** Kills a MySQL connection from outside, shortly after the statement about to run on it has started. */
async function killWhileBusy(connectionId: number): Promise<void> {
  const killer = await createConnection({ uri: mysqlServerUrl });
  setTimeout(() => {
    killer
      .query(`KILL ${connectionId}`)
      .catch(() => undefined)
      .finally(() => void killer.end().catch(() => undefined));
  }, 200);
}

async function failureOf(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => null,
    (error: unknown) => error,
  );
}

describe('Database failures', () => {
  let opened: IntegrationDatabase | null = null;

  afterEach(async () => {
    await opened?.close();
    opened = null;
  });

  it('keeps the driver code of a connection failure, which the HTTP mapping answers with 503', async () => {
    opened = await openIntegrationDatabase({ sqliteFile: 'busy.sqlite', sqliteBusyTimeoutMs: 100 });
    const { database, target } = opened;
    await createItemsTable(opened);
    let failure: unknown;
    if (target === 'mysql') {
      // The server kills the transaction's connection while a statement runs on it.
      failure = await failureOf(
        database.transaction(async () => {
          await killWhileBusy(readInteger((await database.first(CONNECTION_ID))?.id));
          await database.rows(SLOW);
        }),
      );
      expect((failure as DatabaseError).code).toBe('PROTOCOL_CONNECTION_LOST');
    } else {
      // Another process holds the write lock past the busy timeout.
      const child = await lockingProcess(join(process.env.INTEGRATION_DATA_DIR!, 'busy.sqlite'), 1500);
      failure = await failureOf(database.transaction(() => database.run(INSERT_ITEM, ['busy-1'])));
      expect((failure as DatabaseError).code).toBe('SQLITE_BUSY');
      await once(child, 'exit');
    }
    expect(failure).toBeInstanceOf(DatabaseError);
    expect(describeError(failure)).toMatchObject({ status: 503, headers: { 'Retry-After': '5' } });
  });

  it('on MySQL always gives the connection back (released after commit or rollback, never handed on once broken); on SQLite waits for another writer within the busy timeout', async () => {
    opened = await openIntegrationDatabase({ sqliteFile: 'wait.sqlite' });
    const { database, target } = opened;
    await createItemsTable(opened);
    if (target === 'mysql') {
      await database.transaction(() => database.run(INSERT_ITEM, ['released-1']));
      const afterCommit = database.poolStatistics();
      expect(afterCommit?.inUse).toBe(0);
      await failureOf(
        database.transaction(async () => {
          await database.run(INSERT_ITEM, ['released-2']);
          throw new Error('rolled back');
        }),
      );
      expect(database.poolStatistics()).toEqual(afterCommit);
      await failureOf(
        database.transaction(async () => {
          await killWhileBusy(readInteger((await database.first(CONNECTION_ID))?.id));
          await database.rows(SLOW);
        }),
      );
      expect(database.poolStatistics()?.inUse).toBe(0);
      // No broken connection is left in the pool: transactions on every connection succeed.
      await Promise.all(
        Array.from({ length: 6 }, (_, index) => database.transaction(() => database.run(INSERT_ITEM, [`after-kill-${index}`]))),
      );
      expect(await database.rows(NAMES_LIKE, ['after-kill-%'])).toHaveLength(6);
    } else {
      const child = await lockingProcess(join(process.env.INTEGRATION_DATA_DIR!, 'wait.sqlite'), 300);
      // Reads go on beside the other writer (WAL). The transaction begins once it has committed, so
      // a read-then-write transaction works on fresh rows (a deferred BEGIN would read a snapshot
      // that the other writer makes stale, and its write would fail with SQLITE_BUSY at once).
      expect(await database.rows(NAMES_LIKE, ['cli-%'])).toEqual([]);
      const seen = await database.transaction(async () => {
        const before = await database.rows(NAMES_LIKE, ['%-%']);
        await database.run(INSERT_ITEM, ['after-cli']);
        return before;
      });
      expect(seen.map((row) => row.name)).toEqual(['cli-write']);
      expect(await database.rows(NAMES_LIKE, ['%-%'])).toEqual([{ name: 'after-cli' }, { name: 'cli-write' }]);
      await once(child, 'exit');
    }
  });

  it('fails cleanly once the data source is closed (MySQL: "Pool is closed", answered with 503)', async () => {
    opened = await openIntegrationDatabase({ sqliteFile: 'closed.sqlite' });
    const { database, dataSource, target } = opened;
    await createItemsTable(opened);
    await dataSource.destroy();
    const failure = await failureOf(database.run(INSERT_ITEM, ['after-close']));
    expect(failure).toBeInstanceOf(DatabaseError);
    if (target === 'mysql') {
      expect(describeError(failure).status).toBe(503);
    } else {
      expect((failure as Error).message).toMatch(/not open/);
    }
    await database.close();
    opened = null;
  });
});
