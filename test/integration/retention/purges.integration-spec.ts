import { randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Settings } from '../../../src/config/settings';
import { Database } from '../../../src/database/database';
import { statement } from '../../../src/database/statement';
import { HistoryPurgePort } from '../../../src/history/history-purge.port';
import { HistoryRepository } from '../../../src/history/history.repository';
import { MetricsRegistry } from '../../../src/metrics/metrics-registry';
import { receiptDigestOf } from '../../../src/retention/purge-receipt';
import { PurgeState } from '../../../src/retention/purge.entity';
import { PurgeRepository } from '../../../src/retention/purge.repository';
import { PurgedItemRepository } from '../../../src/retention/purged-item.repository';
import { PurgeBatches } from '../../../src/retention/runner/purge-batches';
import { LeaseLostError } from '../../../src/retention/runner/purge-errors';
import { PurgeHandler } from '../../../src/retention/runner/purge-handler';
import { PurgeMetrics } from '../../../src/retention/runner/purge-metrics';
import { LocalDiskBlobStorage } from '../../../src/storage/local-disk-blob-storage';
import { contentEncryption, newServerKey, serverKeyRing } from '../support/data-key-fixtures';
import { gate } from '../support/gate';
import { addFiles, addMessages, addOrganization, addUser, idsOf, Owner } from '../support/history-owners';
import { IntegrationDatabase, openIntegrationDatabase } from '../support/integration-database';

const LEASE_MS = 60_000;
const BYPASS_GRACE_MS = 50;
const settings = { purge: { leaseMs: LEASE_MS, batchSize: 3, batchPauseMs: 0, retryBaseMs: 1000, maxAttempts: 3 } } as Settings;

const INSERT_PURGE = statement(
  'test.purges.insert',
  'INSERT INTO purges (id, organization_id, user_id, user_name, state, message_cutoff_id, file_cutoff_id, messages_total, files_total, requested_at, next_attempt_at) ' +
    'VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
);
const SET_STATE = statement(
  'test.purges.setState',
  'UPDATE purges SET state = ?, merged_into_id = ?, next_attempt_at = ?, lease_expires_at = ?, lease_owner = ? WHERE id = ?',
);
const MOVE_FILE = statement('test.purges.moveFile', 'UPDATE files SET storage_key = ? WHERE id = ?');
const TOUCH_ORGANIZATION = statement('test.purges.touchOrganization', 'UPDATE organizations SET name = ? WHERE id = ?');

type Seed = { state?: PurgeState; messageCutoffId?: number; fileCutoffId?: number; requestedAt?: Date };

/**
 * The purge repositories and the runner's batches on the real databases, with the SQLite write
 * guard on: any runner write outside a write turn throws here.
 */
describe('purges', () => {
  let opened: IntegrationDatabase;
  let database: Database;
  let storageRoot: string;
  let purges: PurgeRepository;
  let ledger: PurgedItemRepository;
  let batches: PurgeBatches;
  let handler: PurgeHandler;
  let organizationId: string;
  let clock = Date.UTC(2030, 0, 1);

  async function addPurge(owner: Owner, seed: Seed = {}): Promise<string> {
    const id = randomUUID();
    // Each purge requested a second after the one before, so the orders are known.
    const requestedAt = seed.requestedAt ?? new Date((clock += 1000));
    await database.run(INSERT_PURGE, [
      id,
      owner.organizationId,
      owner.userId,
      `${owner.userId}@example.com`,
      seed.state ?? 'pending',
      seed.messageCutoffId ?? 0,
      seed.fileCutoffId ?? 0,
      0,
      0,
      requestedAt,
      requestedAt,
    ]);
    return id;
  }

  async function setState(
    id: string,
    state: PurgeState,
    fields: { mergedInto?: string; nextAttemptAt?: Date; leaseExpiresAt?: Date; leaseOwner?: string } = {},
  ): Promise<void> {
    await database.run(SET_STATE, [
      state,
      fields.mergedInto ?? null,
      fields.nextAttemptAt ?? null,
      fields.leaseExpiresAt ?? null,
      fields.leaseOwner ?? null,
      id,
    ]);
  }

  beforeAll(async () => {
    opened = await openIntegrationDatabase();
    database = opened.database;
    storageRoot = mkdtempSync(join(tmpdir(), 'scim-purges-'));
    purges = new PurgeRepository(database);
    ledger = new PurgedItemRepository(database);
    batches = new PurgeBatches(
      database,
      new LocalDiskBlobStorage(storageRoot),
      new HistoryPurgePort(new HistoryRepository(database)),
      purges,
      ledger,
      contentEncryption(database, serverKeyRing(newServerKey())).dataKeys,
    );
    handler = new PurgeHandler(purges, ledger, batches, new PurgeMetrics(new MetricsRegistry(), purges), settings);
    organizationId = await addOrganization(database);
  });

  afterAll(async () => {
    await opened.close();
    rmSync(storageRoot, { recursive: true, force: true });
  });

  it('reads purges by id inside their organization, pages them by state and user, and follows merges', async () => {
    const alice = await addUser(database, organizationId);
    const bob = await addUser(database, organizationId);
    const otherOrganization = await addOrganization(database);
    const first = await addPurge(alice);
    const second = await addPurge(alice);
    const third = await addPurge(alice);
    const bobs = await addPurge(bob);
    await setState(first, 'merged', { mergedInto: third });
    await setState(second, 'merged', { mergedInto: third });

    expect(await purges.findById(first)).toMatchObject({
      id: first,
      userId: alice.userId,
      state: 'merged',
      mergedIntoId: third,
      bytesDeleted: 0,
      attempts: 0,
    });
    expect(await purges.findInOrganization(organizationId, bobs)).toMatchObject({
      id: bobs,
      state: 'pending',
      leaseOwner: null,
      startedAt: null,
    });
    expect(await purges.findInOrganization(otherOrganization, bobs)).toBeNull();
    expect(await purges.findById(randomUUID())).toBeNull();

    const all = await purges.page(organizationId, {}, 0, 10);
    expect(all.total).toBe(4);
    expect(all.purges.map((purge) => purge.id)).toEqual([bobs, third, second, first]);
    expect((await purges.page(organizationId, {}, 1, 2)).purges.map((purge) => purge.id)).toEqual([third, second]);
    expect(await purges.page(organizationId, { state: 'merged' }, 0, 10)).toMatchObject({
      total: 2,
      purges: [{ id: second }, { id: first }],
    });
    expect(await purges.page(organizationId, { userId: bob.userId }, 0, 10)).toMatchObject({ total: 1, purges: [{ id: bobs }] });
    expect(await purges.page(organizationId, { state: 'pending', userId: alice.userId }, 0, 10)).toMatchObject({
      total: 1,
      purges: [{ id: third }],
    });
    expect(await purges.page(otherOrganization, {}, 0, 10)).toEqual({ total: 0, purges: [] });

    expect((await purges.latestForUser(organizationId, alice.userId))?.id).toBe(third);
    expect(await purges.latestForUser(otherOrganization, alice.userId)).toBeNull();
    expect(await purges.mergedInto(third)).toEqual([first, second]);
    const each = await purges.mergedIntoEach([third, bobs, first]);
    expect(Object.fromEntries(each)).toEqual({ [third]: [first, second], [bobs]: [], [first]: [] });
    expect(await purges.mergedIntoEach([])).toEqual(new Map());
    const counts = await purges.countByState();
    expect(counts).toMatchObject({ completed: 0, failed: 0, running: 0 });
    expect(counts.merged).toBeGreaterThanOrEqual(2);
  });

  it('finds due purges: pending, failed past their backoff, running past their lease; nothing else', async () => {
    const owner = await addUser(database, organizationId);
    const now = new Date(clock + 3_600_000);
    const pending = await addPurge(owner);
    const failedDue = await addPurge(owner);
    const failedLater = await addPurge(owner);
    const failedForGood = await addPurge(owner);
    const runningStale = await addPurge(owner);
    const runningLive = await addPurge(owner);
    const completed = await addPurge(owner);
    await setState(failedDue, 'failed', { nextAttemptAt: new Date(now.getTime() - 1000) });
    await setState(failedLater, 'failed', { nextAttemptAt: new Date(now.getTime() + 60_000) });
    await setState(failedForGood, 'failed');
    await setState(runningStale, 'running', { leaseExpiresAt: new Date(now.getTime() - 1000), leaseOwner: 'gone' });
    await setState(runningLive, 'running', { leaseExpiresAt: new Date(now.getTime() + 60_000), leaseOwner: 'alive' });
    await setState(completed, 'completed');
    const due = (await purges.findDue(now, 1000)).filter((purge) =>
      [pending, failedDue, failedLater, failedForGood, runningStale, runningLive, completed].includes(purge.id),
    );
    expect(due).toEqual([
      { id: pending, attempts: 0 },
      { id: failedDue, attempts: 0 },
      { id: runningStale, attempts: 0 },
    ]);
  });

  it('claims a due purge for one worker only; another takes it over once the lease has expired, and the first can then change nothing', async () => {
    const owner = await addUser(database, organizationId);
    const id = await addPurge(owner);
    const now = new Date();
    const [a, b] = await Promise.all([purges.claim(id, 'worker-a', now, LEASE_MS), purges.claim(id, 'worker-b', now, LEASE_MS)]);
    const claimed = a ?? b;
    expect([a, b].filter((purge) => purge !== null)).toHaveLength(1);
    const holder = a ? 'worker-a' : 'worker-b';
    expect(claimed).toMatchObject({ state: 'running', leaseOwner: holder, attempts: 1, nextAttemptAt: null });
    expect(claimed?.leaseExpiresAt?.getTime()).toBe(now.getTime() + LEASE_MS);
    expect(claimed?.startedAt?.getTime()).toBe(now.getTime());
    expect(await purges.claim(id, 'worker-c', new Date(now.getTime() + 1000), LEASE_MS)).toBeNull();

    const later = new Date(now.getTime() + LEASE_MS + 1000);
    const taken = await purges.claim(id, 'worker-c', later, LEASE_MS);
    expect(taken).toMatchObject({ leaseOwner: 'worker-c', attempts: 2 });
    // The first start stays the start.
    expect(taken?.startedAt?.getTime()).toBe(now.getTime());
    expect(await database.transaction(() => purges.renewLease(id, holder, LEASE_MS))).toBe(false);
    expect(await purges.complete(id, holder, { files: 0, messages: 0, bytes: 0, digest: 'x' }, later)).toBe(false);
    expect(await purges.fail(id, holder, 'late', null)).toBe(false);
    expect(await purges.release(id, holder, later)).toBe(false);
    expect(await purges.findById(id)).toMatchObject({ state: 'running', leaseOwner: 'worker-c' });

    expect(await purges.release(id, 'worker-c', later)).toBe(true);
    expect(await purges.findById(id)).toMatchObject({ state: 'pending', leaseOwner: null, leaseExpiresAt: null, nextAttemptAt: later });
  });

  it('fails with the error kept, is retried by an administrator of its organization only, and only when failed', async () => {
    const owner = await addUser(database, organizationId);
    const id = await addPurge(owner);
    await purges.claim(id, 'worker', new Date(), LEASE_MS);
    const retryAt = new Date(Date.now() + 5000);
    expect(await purges.fail(id, 'worker', 'disk on fire', retryAt)).toBe(true);
    expect(await purges.findById(id)).toMatchObject({
      state: 'failed',
      lastError: 'disk on fire',
      nextAttemptAt: retryAt,
      leaseOwner: null,
    });
    expect(await purges.markForRetry(await addOrganization(database), id, new Date())).toBe(false);
    const now = new Date();
    expect(await purges.markForRetry(organizationId, id, now)).toBe(true);
    expect(await purges.findById(id)).toMatchObject({ state: 'pending', nextAttemptAt: now, lastError: 'disk on fire' });
    expect(await purges.markForRetry(organizationId, id, now)).toBe(false);
  });

  it('runs a purge in batches up to its cutoffs: the ledger, counters and receipt add up; later items and the neighbour stay', async () => {
    const owner = await addUser(database, organizationId);
    const neighbour = await addUser(database, organizationId);
    const files = await addFiles(database, owner, 7, 1000);
    const messages = await addMessages(database, owner, 5);
    const neighbours = { files: await addFiles(database, neighbour, 2), messages: await addMessages(database, neighbour, 2) };
    const id = await addPurge(owner, { fileCutoffId: files[files.length - 1], messageCutoffId: messages[messages.length - 1] });
    const later = { files: await addFiles(database, owner, 2), messages: await addMessages(database, owner, 2) };

    expect(await handler.run(id)).toBe('completed');
    const purge = await purges.findById(id);
    const bytes = files.reduce((sum, _id, index) => sum + 1000 + index, 0);
    const digest = receiptDigestOf([
      ...files.map((item) => ({ kind: 'file' as const, id: item })),
      ...messages.map((item) => ({ kind: 'message' as const, id: item })),
    ]);
    expect(purge).toMatchObject({
      state: 'completed',
      filesDeleted: 7,
      messagesDeleted: 5,
      bytesDeleted: bytes,
      receiptDigest: digest,
      leaseOwner: null,
      attempts: 1,
    });
    expect(await ledger.receipt([id])).toEqual({ files: 7, messages: 5, bytes, digest });
    const page = await ledger.page([id], 5, 4);
    expect(page.total).toBe(12);
    expect(page.items.map((item) => [item.kind, item.itemId])).toEqual([
      ['file', files[5]],
      ['file', files[6]],
      ['message', messages[0]],
      ['message', messages[1]],
    ]);
    expect(await idsOf(database, 'files', owner.userId)).toEqual(later.files);
    expect(await idsOf(database, 'messages', owner.userId)).toEqual(later.messages);
    expect(await idsOf(database, 'files', neighbour.userId)).toEqual(neighbours.files);
    expect(await idsOf(database, 'messages', neighbour.userId)).toEqual(neighbours.messages);
    // A re-run: not due, nothing more.
    expect(await handler.run(id)).toBe('skipped');
  });

  it("deletes the bytes its locked row names: a file re-encrypted between the batch's read and its lock leaves no bytes behind", async () => {
    const owner = await addUser(database, organizationId);
    const [fileId] = await addFiles(database, owner, 1, 10);
    const [read] = await new HistoryPurgePort(new HistoryRepository(database)).filesUpTo(owner, 0, fileId, 1);
    const resealed = `${owner.organizationId}/${owner.userId}/resealed-${randomUUID()}`;
    for (const key of [read.storageKey, resealed]) {
      mkdirSync(dirname(join(storageRoot, key)), { recursive: true });
      writeFileSync(join(storageRoot, key), key);
    }
    // seal-legacy-history commits its switch to new bytes (and deletes the old ones) just after
    // the purge read the row, before the purge deletes the bytes it read and locks the row.
    const racing = new (class extends LocalDiskBlobStorage {
      private sealed = false;
      override async deleteMany(keys: readonly string[]) {
        if (!this.sealed) {
          this.sealed = true;
          await database.run(MOVE_FILE, [resealed, fileId]);
          await this.delete(read.storageKey);
        }
        return super.deleteMany(keys);
      }
    })(storageRoot);
    const racingBatches = new PurgeBatches(
      database,
      racing,
      new HistoryPurgePort(new HistoryRepository(database)),
      purges,
      ledger,
      contentEncryption(database, serverKeyRing(newServerKey())).dataKeys,
    );
    const id = await addPurge(owner, { fileCutoffId: fileId });
    const claimed = (await purges.claim(id, 'holder', new Date(), LEASE_MS))!;

    expect(await racingBatches.deleteFiles(claimed, 0, 10, { owner: 'holder', leaseMs: LEASE_MS })).toEqual({
      seen: 1,
      lastId: fileId,
      undeleted: [],
    });
    expect(await idsOf(database, 'files', owner.userId)).toEqual([]);
    expect(existsSync(join(storageRoot, read.storageKey))).toBe(false);
    expect(existsSync(join(storageRoot, resealed))).toBe(false);
    expect(await ledger.receipt([id])).toMatchObject({ files: 1, messages: 0, bytes: 10 });
  });

  it('a batch of a worker that lost its lease deletes nothing', async () => {
    const owner = await addUser(database, organizationId);
    const messages = await addMessages(database, owner, 3);
    const id = await addPurge(owner, { messageCutoffId: messages[2] });
    const claimed = (await purges.claim(id, 'holder', new Date(), LEASE_MS))!;
    await expect(batches.deleteMessages(claimed, 0, 10, { owner: 'stalled', leaseMs: LEASE_MS })).rejects.toBeInstanceOf(LeaseLostError);
    expect(await idsOf(database, 'messages', owner.userId)).toEqual(messages);
    expect(await ledger.receipt([id])).toMatchObject({ files: 0, messages: 0, bytes: 0 });
  });

  it('records a ledger of any size, and recomputes the receipt of a purge with those merged into it across digest pages', async () => {
    const owner = await addUser(database, organizationId);
    const earlier = await addPurge(owner);
    const later = await addPurge(owner);
    const items = Array.from({ length: 1001 }, (_, index) => ({ id: index + 1, sizeBytes: 2 }));
    await database.transaction(async () => {
      await ledger.record(earlier, 'file', items.slice(0, 300));
      await ledger.record(later, 'file', items.slice(300));
      await ledger.record(later, 'message', items.slice(0, 5));
      await ledger.record(later, 'message', []);
    });
    const digest = receiptDigestOf([
      ...items.map((item) => ({ kind: 'file' as const, id: item.id })),
      ...items.slice(0, 5).map((item) => ({ kind: 'message' as const, id: item.id })),
    ]);
    expect(await ledger.receipt([later, earlier])).toEqual({ files: 1001, messages: 5, bytes: 2012, digest });
    expect((await ledger.page([later, earlier], 0, 1)).total).toBe(1006);
  });

  describe('SQLite write turns cover every runner write', () => {
    /**
     * Runs `write` from outside a transaction while another one, which has written, stays open, and
     * then rolls that one back (with the guard on or off: the app runs with it off for now). A write that waits for its turn commits after the rollback; one that
     * went straight to the shared SQLite connection would have joined (and vanished with) the
     * rolled-back transaction, or been refused by the write guard.
     */
    async function besideRolledBack<T>(write: () => Promise<T>): Promise<T> {
      const entered = gate();
      const release = gate();
      const rolledBack = database.transaction(async () => {
        await database.run(TOUCH_ORGANIZATION, ['renamed, then rolled back', organizationId]);
        entered.open();
        await release.opened;
        throw new Error('rolled back');
      });
      await entered.opened;
      const written = write();
      // A write that bypassed the turn gets this long to reach the open transaction; one in its turn waits it out.
      await Promise.race([written.catch(() => undefined), sleep(BYPASS_GRACE_MS)]);
      release.open();
      await expect(rolledBack).rejects.toThrow('rolled back');
      return written;
    }

    it('claim, batch, complete, fail, release and retry each commit on their own', async () => {
      const owner = await addUser(database, organizationId);
      const messages = await addMessages(database, owner, 2);
      const id = await addPurge(owner, { messageCutoffId: messages[1] });
      const lease = { owner: 'turn-worker', leaseMs: LEASE_MS };
      const claimed = await besideRolledBack(() => purges.claim(id, lease.owner, new Date(), LEASE_MS));
      expect(claimed).toMatchObject({ state: 'running' });
      expect(await besideRolledBack(() => batches.deleteMessages(claimed!, 0, 10, lease))).toEqual({ deleted: 2, lastId: messages[1] });
      expect(await idsOf(database, 'messages', owner.userId)).toEqual([]);
      expect(await besideRolledBack(() => purges.release(id, lease.owner, new Date()))).toBe(true);
      await purges.claim(id, lease.owner, new Date(), LEASE_MS);
      expect(await besideRolledBack(() => purges.fail(id, lease.owner, 'failed beside another transaction', null))).toBe(true);
      expect(await besideRolledBack(() => purges.markForRetry(organizationId, id, new Date()))).toBe(true);
      await purges.claim(id, lease.owner, new Date(), LEASE_MS);
      const receipt = await ledger.receipt([id]);
      expect(await besideRolledBack(() => purges.complete(id, lease.owner, receipt, new Date()))).toBe(true);
      expect(await purges.findById(id)).toMatchObject({
        state: 'completed',
        messagesDeleted: 2,
        attempts: 3,
        lastError: 'failed beside another transaction',
      });
    });
  });
});
