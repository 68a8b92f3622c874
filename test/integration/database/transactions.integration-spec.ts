import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Database } from '../../../src/database/database';
import { DatabaseUsageError } from '../../../src/database/database-error';
import { statement } from '../../../src/database/statement';
import { gate } from '../support/gate';
import { createItemsTable, IntegrationDatabase, openIntegrationDatabase } from '../support/integration-database';

type ItemRow = { id: number; name: string; counter: number };

const INSERT_ITEM = statement('test.transactions.insertItem', 'INSERT INTO items (name, counter) VALUES (?, ?)');
const ITEM_BY_NAME = statement<ItemRow>('test.transactions.itemByName', 'SELECT id, name, counter FROM items WHERE name = ?');
const COUNTER_FOR_UPDATE = statement<{ counter: number }>(
  'test.transactions.counterForUpdate',
  'SELECT counter FROM items WHERE name = ?',
  { lock: 'update' },
);
const SET_COUNTER = statement('test.transactions.setCounter', 'UPDATE items SET counter = ? WHERE name = ?');
const NAMES_LIKE = statement<{ name: string }>('test.transactions.namesLike', 'SELECT name FROM items WHERE name LIKE ? ORDER BY name');

describe('Database transactions', () => {
  let opened: IntegrationDatabase;
  let database: Database;

  /** Names with this prefix, read outside any transaction. */
  async function names(prefix: string): Promise<string[]> {
    return (await database.rows(NAMES_LIKE, [`${prefix}%`])).map((row) => row.name);
  }

  beforeAll(async () => {
    opened = await openIntegrationDatabase();
    database = opened.database;
    await createItemsTable(opened);
  });

  afterAll(async () => {
    await opened.close();
  });

  it('commits the work and resolves to its result', async () => {
    const result = await database.transaction(async () => {
      await database.run(INSERT_ITEM, ['commit-1', 1]);
      await database.run(INSERT_ITEM, ['commit-2', 2]);
      return 'done';
    });
    expect(result).toBe('done');
    expect(await names('commit-')).toEqual(['commit-1', 'commit-2']);
  });

  it('rolls back every statement when the work throws, and rejects with its error', async () => {
    const failure = new Error('boom');
    await expect(
      database.transaction(async () => {
        await database.run(INSERT_ITEM, ['rollback-1', 1]);
        throw failure;
      }),
    ).rejects.toBe(failure);
    expect(await names('rollback-')).toEqual([]);
  });

  it('lets a nested transaction join the outer one: it sees the outer rows and commits or rolls back with them', async () => {
    await expect(
      database.transaction(async () => {
        await database.run(INSERT_ITEM, ['nested-outer', 1]);
        const seen = await database.transaction(async () => {
          expect(database.inTransaction).toBe(true);
          await database.run(INSERT_ITEM, ['nested-inner', 1]);
          return database.rows(NAMES_LIKE, ['nested-%']);
        });
        expect(seen.map((row) => row.name)).toEqual(['nested-inner', 'nested-outer']);
        throw new Error('the outer work fails after the inner one finished');
      }),
    ).rejects.toThrow('the outer work fails');
    expect(await names('nested-')).toEqual([]);

    await database.transaction(async () => {
      await database.run(INSERT_ITEM, ['joined-outer', 1]);
      await database.transaction(() => database.run(INSERT_ITEM, ['joined-inner', 1]));
    });
    expect(await names('joined-')).toEqual(['joined-inner', 'joined-outer']);
    expect(database.inTransaction).toBe(false);
  });

  it('runs after-commit callbacks once the outermost transaction has committed, in order, outside it', async () => {
    const events: string[] = [];
    await database.transaction(async () => {
      await database.run(INSERT_ITEM, ['after-1', 1]);
      await database.afterCommit(async () => {
        events.push(`first callback reads ${(await names('after-')).join(',') || 'nothing'}; in a transaction: ${database.inTransaction}`);
      });
      await database.transaction(async () => {
        await database.afterCommit(() => {
          events.push('second callback, registered in a nested transaction');
        });
        events.push('nested work done');
      });
      events.push('outer work done');
    });
    events.push('transaction resolved');
    expect(events).toEqual([
      'nested work done',
      'outer work done',
      'first callback reads after-1; in a transaction: false',
      'second callback, registered in a nested transaction',
      'transaction resolved',
    ]);
  });

  it('never runs after-commit callbacks of a transaction that rolled back, and runs them at once outside a transaction', async () => {
    const ran: string[] = [];
    await expect(
      database.transaction(async () => {
        await database.transaction(() => database.afterCommit(() => ran.push('registered in a nested transaction')));
        await database.afterCommit(() => ran.push('registered in the outer one'));
        throw new Error('rolled back');
      }),
    ).rejects.toThrow('rolled back');
    expect(ran).toEqual([]);

    await database.afterCommit(() => ran.push('outside a transaction'));
    expect(ran).toEqual(['outside a transaction']);
  });

  it('still runs the other after-commit callbacks when one fails, and rejects with its error once the data is committed', async () => {
    const failure = new Error('cache invalidation failed');
    const ran: string[] = [];
    await expect(
      database.transaction(async () => {
        await database.run(INSERT_ITEM, ['failing-callback-1', 1]);
        await database.afterCommit(() => {
          throw failure;
        });
        await database.afterCommit(() => ran.push('purge dispatched'));
      }),
    ).rejects.toBe(failure);
    expect(ran).toEqual(['purge dispatched']);
    expect(await names('failing-callback-')).toEqual(['failing-callback-1']);
  });

  it('loses no update when two transactions increment the same row behind a locking read (serialized on SQLite, row-locked on MySQL)', async () => {
    await database.run(INSERT_ITEM, ['same-row', 0]);
    const increment = () =>
      database.transaction(async () => {
        const row = await database.first(COUNTER_FOR_UPDATE, ['same-row']);
        // The other transaction reads now, unless the turn (SQLite) or the row lock (MySQL) holds it back.
        await sleep(50);
        await database.run(SET_COUNTER, [row!.counter + 1, 'same-row']);
        return row!.counter;
      });
    const read = await Promise.all([increment(), increment()]);
    expect(read.sort()).toEqual([0, 1]);
    expect((await database.first(ITEM_BY_NAME, ['same-row']))?.counter).toBe(2);
  });

  it('runs transactions on different rows one after another on SQLite, side by side on MySQL', async () => {
    const events: string[] = [];
    const wrote = gate();
    const release = gate();
    const first = database.transaction(async () => {
      await database.run(INSERT_ITEM, ['side-a', 0]);
      wrote.open();
      await release.opened;
      events.push('first commits');
    });
    await wrote.opened;
    const second = database.transaction(() => database.run(INSERT_ITEM, ['side-b', 0])).then(() => events.push('second committed'));
    if (opened.target === 'mysql') {
      await second;
    } else {
      await sleep(100);
    }
    events.push('first still open');
    release.open();
    await Promise.all([first, second]);
    expect(events).toEqual(
      opened.target === 'mysql'
        ? ['second committed', 'first still open', 'first commits']
        : ['first still open', 'first commits', 'second committed'],
    );
    expect(await names('side-')).toEqual(['side-a', 'side-b']);
  });

  it('keeps a write outside a transaction, issued while another transaction is open, out of it: it survives that rollback', async () => {
    const order: string[] = [];
    const wrote = gate();
    const release = gate();
    const doomed = database
      .transaction(async () => {
        await database.run(INSERT_ITEM, ['outside-doomed', 0]);
        wrote.open();
        await release.opened;
        throw new Error('rolled back');
      })
      .catch(() => order.push('transaction rolled back'));
    await wrote.opened;
    const single = database.run(INSERT_ITEM, ['outside-single', 0]).then(() => order.push('single write done'));
    if (opened.target === 'mysql') {
      await single;
    } else {
      await sleep(100);
    }
    release.open();
    await Promise.all([doomed, single]);
    expect(await names('outside-')).toEqual(['outside-single']);
    // SQLite: the write waited for the transaction's turn to end; MySQL: it ran on another connection.
    expect(order).toEqual(
      opened.target === 'mysql' ? ['single write done', 'transaction rolled back'] : ['transaction rolled back', 'single write done'],
    );
  });

  it('reads outside a transaction see committed rows only, never an open transaction', async () => {
    const wrote = gate();
    const release = gate();
    const open = database.transaction(async () => {
      await database.run(INSERT_ITEM, ['uncommitted-1', 0]);
      wrote.open();
      await release.opened;
    });
    await wrote.opened;
    try {
      expect(await names('uncommitted-')).toEqual([]);
      expect(await database.first(ITEM_BY_NAME, ['uncommitted-1'])).toBeNull();
    } finally {
      release.open();
      await open;
    }
    expect(await names('uncommitted-')).toEqual(['uncommitted-1']);
  });

  it('refuses a statement issued after its transaction ended instead of running it elsewhere', async () => {
    let late: Promise<unknown> = Promise.resolve();
    await database.transaction(async () => {
      await database.run(INSERT_ITEM, ['late-0', 0]);
      // Handled at once: it may be refused while the transaction still commits.
      late = sleep(20)
        .then(() => database.run(INSERT_ITEM, ['late-1', 0]))
        .then(
          () => null,
          (error: unknown) => error,
        );
    });
    const refused = await late;
    expect(refused).toBeInstanceOf(DatabaseUsageError);
    expect((refused as Error).message).toMatch(/issued after its transaction had ended/);
    expect(await names('late-')).toEqual(['late-0']);
  });

  it('refuses a locking read outside a transaction, and schema work inside one', async () => {
    await expect(database.first(COUNTER_FOR_UPDATE, ['same-row'])).rejects.toThrow(/locking read/);
    await expect(database.transaction(() => database.exclusive(() => Promise.resolve()))).rejects.toThrow(
      /cannot run inside a transaction/,
    );
  });
});
