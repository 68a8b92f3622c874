import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Database } from '../../../src/database/database';
import { isTimeLimitExceeded } from '../../../src/database/database-error';
import { readInteger } from '../../../src/database/sql-values';
import { statement } from '../../../src/database/statement';
import { Gate, gate } from '../support/gate';
import { createItemsTable, IntegrationDatabase, openIntegrationDatabase } from '../support/integration-database';

const POOL_SIZE = 5;
const INSERT_ITEM = statement('test.infrastructure.insertItem', 'INSERT INTO items (name, counter) VALUES (?, ?)');
const SET_COUNTER = statement('test.infrastructure.setCounter', 'UPDATE items SET counter = ? WHERE name = ?');
const SHARED_ROW = statement<{ counter: unknown }>('test.infrastructure.sharedRow', 'SELECT counter FROM items WHERE name = ?', {
  lock: 'share',
});
const CROSS_JOIN = statement<{ total: unknown }>(
  'test.infrastructure.crossJoin',
  'SELECT COUNT(*) AS total FROM information_schema.COLUMNS a, information_schema.COLUMNS b, information_schema.COLUMNS c',
  { timeLimitMs: 200 },
);
const SQLITE_SCHEMA = statement<{ total: unknown }>('test.infrastructure.sqliteSchema', 'SELECT COUNT(*) AS total FROM sqlite_master', {
  timeLimitMs: 200,
});

describe('Database for infrastructure: health ping, pool use, time limits, shared locks', () => {
  let opened: IntegrationDatabase;
  let database: Database;

  /** Transactions held open until the gate opens; resolves once each has started. */
  async function holdTransactions(count: number, release: Gate): Promise<Promise<void>[]> {
    const started = Array.from({ length: count }, () => gate());
    const held = started.map((began, index) =>
      database.transaction(async () => {
        await database.run(INSERT_ITEM, [`held-${Date.now()}-${index}-${Math.random()}`, 0]);
        began.open();
        await release.opened;
      }),
    );
    await Promise.all(started.slice(0, opened.target === 'mysql' ? count : 1).map((began) => began.opened));
    return held;
  }

  beforeAll(async () => {
    opened = await openIntegrationDatabase();
    database = opened.database;
    await createItemsTable(opened);
  });

  afterAll(async () => {
    await opened.close();
  });

  it('answers a ping beside an open transaction; on MySQL it gives up at its timeout when every pooled connection is busy', async () => {
    await database.ping(1000);
    const release = gate();
    const held = await holdTransactions(opened.target === 'mysql' ? POOL_SIZE : 1, release);
    try {
      if (opened.target === 'mysql') {
        await expect(database.ping(200)).rejects.toThrow('the database did not answer within 200 ms');
      } else {
        await database.ping(200);
      }
    } finally {
      release.open();
      await Promise.all(held);
    }
    await database.ping(1000);
  });

  it('reports the MySQL pool use (connections, in use, waiting); SQLite has no pool', async () => {
    if (opened.target === 'sqlite') {
      expect(database.poolStatistics()).toBeNull();
      return;
    }
    const release = gate();
    const held = await holdTransactions(POOL_SIZE, release);
    const waiting = database.transaction(() => database.run(INSERT_ITEM, [`waiting-${Date.now()}`, 0]));
    await sleep(50);
    expect(database.poolStatistics()).toEqual({ connections: POOL_SIZE, inUse: POOL_SIZE, waiting: 1 });
    release.open();
    await Promise.all([...held, waiting]);
    expect(database.poolStatistics()).toEqual({ connections: POOL_SIZE, inUse: 0, waiting: 0 });
  });

  it('stops a SELECT at its time limit on MySQL/MariaDB (the dialect writes the limit); SQLite has none', async () => {
    if (database.dialect === 'sqlite') {
      expect(readInteger((await database.first(SQLITE_SCHEMA))?.total)).toBeGreaterThan(0);
      return;
    }
    const startedAt = Date.now();
    const failure = await database.first(CROSS_JOIN).then(
      () => null,
      (error: unknown) => error,
    );
    expect(isTimeLimitExceeded(failure)).toBe(true);
    expect(Date.now() - startedAt).toBeLessThan(10_000);
  });

  it('holds a share-locked row until commit: a writer of that row waits (behind the lock on MySQL, the turn on SQLite)', async () => {
    await database.run(INSERT_ITEM, ['shared-row', 0]);
    const events: string[] = [];
    const read = gate();
    const release = gate();
    const reader = database.transaction(async () => {
      events.push(`reader sees ${readInteger((await database.first(SHARED_ROW, ['shared-row']))?.counter)}`);
      read.open();
      await release.opened;
      events.push('reader commits');
    });
    await read.opened;
    const writer = database.transaction(() => database.run(SET_COUNTER, [1, 'shared-row'])).then(() => events.push('writer committed'));
    await sleep(100);
    events.push('reader still open');
    release.open();
    await Promise.all([reader, writer]);
    expect(events).toEqual(['reader sees 0', 'reader still open', 'reader commits', 'writer committed']);
  });
});
