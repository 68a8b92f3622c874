import { INestApplication } from '@nestjs/common';
import { DataSource, EntitySubscriberInterface } from 'typeorm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Database } from '../../../src/database/database';
import { PurgeScheduler } from '../../../src/retention/purge-scheduler';
import { Purge } from '../../../src/retention/purge.entity';
import { PurgeHandler } from '../../../src/retention/runner/purge-handler';
import { User } from '../../../src/users/user.entity';
import { bootstrapOrganization } from '../../support/admin-api';
import { writeDirectly } from '../../support/direct-writes';
import { e2eDatabase } from '../../support/e2e-target';
import { createUser, expectedReceiptDigest } from '../../support/purge-fixtures';
import { createTestApp } from '../../support/test-app';

const BATCH_SIZE = 4;

type Kind = 'files' | 'messages';

/**
 * A purge's id bounds, ledger rows and counters are bound as parameters (on SQLite as strings,
 * because TypeORM writes numbers into the SQL): every batch runs the same statements, and the
 * strings still compare and store as the integers they are, across the 9 → 10 and 99 → 100
 * boundaries where a text comparison would go wrong.
 */
describe('purge statements: the same SQL for every batch, ids compared as integers', () => {
  let app: INestApplication;
  let dataSource: DataSource;
  let organizationId: string;
  let capture: Set<string> | null = null;

  async function addItems(kind: Kind, userId: string, count: number): Promise<void> {
    await writeDirectly(app, () => insertItems(kind, userId, count));
  }

  async function insertItems(kind: Kind, userId: string, count: number): Promise<void> {
    for (let index = 0; index < count; index += 1) {
      if (kind === 'messages') {
        await dataSource.query('INSERT INTO messages (organization_id, user_id, subject, body) VALUES (?, ?, ?, ?)', [
          organizationId,
          userId,
          's',
          'b',
        ]);
      } else {
        // Rows only: bytes that are already gone count as deleted, as after an interrupted run.
        const key = `${organizationId}/${userId}/missing-${kind}-${index}-${Math.random().toString(36).slice(2)}`;
        await dataSource.query(
          'INSERT INTO files (organization_id, user_id, name, size_bytes, sha256, storage_key) VALUES (?, ?, ?, ?, ?, ?)',
          [organizationId, userId, `f${index}`, 1000 + index, 'a'.repeat(64), key],
        );
      }
    }
  }

  // The ids themselves, and their storage as integers, are this file's point: no API lists them.
  async function idsOf(kind: Kind, userId: string): Promise<number[]> {
    const rows: { id: number | string }[] = await dataSource.query(`SELECT id FROM ${kind} WHERE user_id = ? ORDER BY id`, [userId]);
    return rows.map((row) => Number(row.id));
  }

  async function maxId(kind: Kind): Promise<number> {
    const [row]: { max: number | string | null }[] = await dataSource.query(`SELECT MAX(id) AS max FROM ${kind}`);
    return Number(row.max ?? 0);
  }

  async function captured<T>(statements: Set<string>, work: () => Promise<T>): Promise<T> {
    capture = statements;
    try {
      return await work();
    } finally {
      capture = null;
    }
  }

  /**
   * Records the purge as a deactivation does (`between` then runs, uncaptured) and runs it here;
   * returns the SQL texts the recording and the run used.
   */
  async function purge(
    user: User,
    between: () => Promise<void> = () => Promise.resolve(),
  ): Promise<{ purgeId: string; statements: Set<string> }> {
    const statements = new Set<string>();
    const purgeId = await captured(statements, () =>
      app.get(Database).transaction(async () => {
        const scheduler = app.get(PurgeScheduler);
        return (await scheduler.record(user, await scheduler.lockForDeactivation(user.organizationId))).purgeId;
      }),
    );
    await between();
    expect(await captured(statements, () => app.get(PurgeHandler).run(purgeId))).toBe('completed');
    return { purgeId, statements };
  }

  beforeAll(async () => {
    // Settings are read when the app is built. No consumer and no reconciler (the api role):
    // the purges run only where this test runs them.
    process.env.PURGE_BATCH_SIZE = String(BATCH_SIZE);
    process.env.PROCESS_ROLE = 'api';
    try {
      app = await createTestApp();
    } finally {
      delete process.env.PURGE_BATCH_SIZE;
      delete process.env.PROCESS_ROLE;
    }
    dataSource = app.get(DataSource);
    const subscriber: EntitySubscriberInterface = {
      beforeQuery: (event) => {
        capture?.add(event.query);
      },
    };
    dataSource.subscribers.push(subscriber);
    ({ organizationId } = await bootstrapOrganization(app, 'bound-ids'));
  });

  afterAll(async () => {
    await app.close();
  });

  it('deletes exactly the items up to the cutoffs, with the same statements for 2 or 12 batches per kind', async () => {
    const small = await createUser(app, organizationId);
    const large = await createUser(app, organizationId);
    const neighbour = await createUser(app, organizationId);

    // The small purge: two full batches of each kind.
    await addItems('files', small.id, 2 * BATCH_SIZE);
    await addItems('messages', small.id, 2 * BATCH_SIZE);

    // The large user's items interleave with the neighbour's, up to cutoffs in the nineties; items
    // added after the purge is recorded get ids of 100 and more (as text, '100' <= '95').
    for (const kind of ['files', 'messages'] as const) {
      for (let batch = 0; batch < 12; batch += 1) {
        await addItems(kind, large.id, BATCH_SIZE);
        await addItems(kind, neighbour.id, 1);
      }
      const filler = 95 - (await maxId(kind)) - BATCH_SIZE;
      expect(filler).toBeGreaterThan(0);
      await addItems(kind, neighbour.id, filler);
      await addItems(kind, large.id, BATCH_SIZE);
    }
    const purgedIds = { files: await idsOf('files', large.id), messages: await idsOf('messages', large.id) };
    const neighbourIds = { files: await idsOf('files', neighbour.id), messages: await idsOf('messages', neighbour.id) };
    expect(purgedIds.files).toHaveLength(13 * BATCH_SIZE);
    expect(purgedIds.files.at(-1)).toBe(95);
    expect(purgedIds.messages.at(-1)).toBe(95);

    const smallRun = await purge(small);
    expect(await idsOf('files', small.id)).toEqual([]);
    expect(await idsOf('messages', small.id)).toEqual([]);

    // Recorded with the cutoffs at 95, run once the user has items past them again.
    let survivors: Record<Kind, number[]> = { files: [], messages: [] };
    const largeRun = await purge(large, async () => {
      await addItems('files', large.id, 10);
      await addItems('messages', large.id, 10);
      survivors = { files: await idsOf('files', large.id), messages: await idsOf('messages', large.id) };
    });
    const after = [96, 97, 98, 99, 100, 101, 102, 103, 104, 105];
    expect(survivors.files.slice(13 * BATCH_SIZE)).toEqual(after);
    expect(survivors.messages.slice(13 * BATCH_SIZE)).toEqual(after);

    // Nothing over the cutoffs and nothing of the neighbour's was touched; everything under them went.
    expect(await idsOf('files', large.id)).toEqual(after);
    expect(await idsOf('messages', large.id)).toEqual(after);
    expect(await idsOf('files', neighbour.id)).toEqual(neighbourIds.files);
    expect(await idsOf('messages', neighbour.id)).toEqual(neighbourIds.messages);

    // The cutoff ids are internal to the purge: the admin API does not show them.
    const recorded = await dataSource.getRepository(Purge).findOneByOrFail({ id: largeRun.purgeId });
    const bytes = purgedIds.files.reduce((sum, _id, index) => sum + 1000 + (index % BATCH_SIZE), 0);
    expect(recorded).toMatchObject({
      state: 'completed',
      fileCutoffId: 95,
      messageCutoffId: 95,
      filesTotal: 13 * BATCH_SIZE,
      messagesTotal: 13 * BATCH_SIZE,
      filesDeleted: 13 * BATCH_SIZE,
      messagesDeleted: 13 * BATCH_SIZE,
      receiptDigest: expectedReceiptDigest(purgedIds.files, purgedIds.messages),
    });
    // A bigint column: a string from MySQL, a number from SQLite.
    expect(Number(recorded.bytesDeleted)).toBe(bytes);
    if (e2eDatabase() === 'sqlite') {
      // The ledger holds integers, not the strings that were bound.
      const [{ text }]: { text: number }[] = await dataSource.query(
        "SELECT COUNT(*) AS text FROM purged_items WHERE typeof(item_id) <> 'integer' OR typeof(size_bytes) <> 'integer'",
      );
      expect(text).toBe(0);
      const [{ types }]: { types: string }[] = await dataSource.query(
        'SELECT typeof(message_cutoff_id) || typeof(file_cutoff_id) || typeof(messages_total) || typeof(files_total) || typeof(bytes_deleted) AS types FROM purges WHERE id = ?',
        [largeRun.purgeId],
      );
      expect(types).toBe('integer'.repeat(5));
    }

    // Six times the batches, other ids, other cutoffs, other counts: not one statement more.
    expect([...largeRun.statements].sort()).toEqual([...smallRun.statements].sort());
  });
});
