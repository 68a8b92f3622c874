import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Settings } from '../../../src/config/settings';
import { Database } from '../../../src/database/database';
import { statement } from '../../../src/database/statement';
import { HistoryPurgePort } from '../../../src/history/history-purge.port';
import { HistoryRepository } from '../../../src/history/history.repository';
import { MetricsRegistry } from '../../../src/metrics/metrics-registry';
import { PurgedItemRepository } from '../../../src/retention/purged-item.repository';
import { PurgeQueue } from '../../../src/retention/queue/purge-queue';
import { PurgeBatches } from '../../../src/retention/runner/purge-batches';
import { PurgeHandler } from '../../../src/retention/runner/purge-handler';
import { PurgeMetrics } from '../../../src/retention/runner/purge-metrics';
import { PurgeReconciler } from '../../../src/retention/runner/purge-reconciler';
import { LegalHoldRepository } from '../../../src/retention/safeguards/legal-hold.repository';
import { PurgePolicyRepository } from '../../../src/retention/safeguards/purge-policy.repository';
import { LocalDiskBlobStorage } from '../../../src/storage/local-disk-blob-storage';
import { UserRecord } from '../../../src/users/users.repository';
import { IntegrationDatabase, openIntegrationDatabase } from '../support/integration-database';
import { addHistory, createOrganization, usersDomain, UsersDomain } from '../users/support/users-fixtures';

const settings = {
  runsPurges: false,
  purge: { leaseMs: 60_000, batchSize: 2, batchPauseMs: 0, retryBaseMs: 1000, maxAttempts: 3, reconcileIntervalMs: 60_000 },
} as Settings;
const KEY_ROWS = statement<{ id: string }>('test.safeguards.keyRows', 'SELECT id FROM data_keys WHERE user_id = ? ORDER BY id');
const LATEST_PURGE = statement<{ id: string }>(
  'test.safeguards.latestPurge',
  'SELECT id FROM purges WHERE user_id = ? ORDER BY requested_at DESC, id LIMIT 1',
);
const HOUR_S = 3600;

/**
 * The safeguards' transitions on the real databases: a waiting purge is never run, and of a
 * reactivation and the end of the grace period racing for one purge exactly one wins.
 */
describe('purge safeguards', () => {
  let opened: IntegrationDatabase;
  let database: Database;
  let domain: UsersDomain;
  let handler: PurgeHandler;
  let reconciler: PurgeReconciler;
  let policies: PurgePolicyRepository;
  let organizationId: string;
  let storageRoot: string;
  let serial = 0;
  const enqueued: string[] = [];

  beforeAll(async () => {
    opened = await openIntegrationDatabase({ sqliteFile: 'purge-safeguards.sqlite' });
    database = opened.database;
    domain = usersDomain(database);
    storageRoot = mkdtempSync(join(tmpdir(), 'scim-safeguards-'));
    const ledger = new PurgedItemRepository(database);
    const batches = new PurgeBatches(
      database,
      new LocalDiskBlobStorage(storageRoot),
      new HistoryPurgePort(new HistoryRepository(database)),
      domain.purges,
      ledger,
      domain.dataKeys,
    );
    handler = new PurgeHandler(domain.purges, ledger, batches, new PurgeMetrics(new MetricsRegistry(), domain.purges), settings);
    const queue: PurgeQueue = {
      enqueue: (job) => {
        enqueued.push(job.purgeId);
        return Promise.resolve();
      },
    };
    reconciler = new PurgeReconciler(domain.purges, queue, settings);
    policies = new PurgePolicyRepository(database);
    organizationId = await createOrganization(database);
    await policies.ensureRow(organizationId);
  });

  afterAll(async () => {
    await opened.close();
    rmSync(storageRoot, { recursive: true, force: true });
  });

  async function setGrace(graceSeconds: number): Promise<void> {
    await policies.update(
      organizationId,
      { graceSeconds, massDeactivation: { enabled: false, threshold: 25, windowSeconds: 600 } },
      'test',
      new Date(),
    );
  }

  async function userWithHistory(): Promise<UserRecord> {
    serial += 1;
    const user = await domain.provisioning.create(organizationId, {
      userName: `safe-${serial}@example.com`,
      givenName: 'Sam',
      familyName: 'Safe',
      email: null,
      externalId: null,
      active: true,
    });
    await addHistory(database, organizationId, user.id, 2, 1);
    await domain.dataKeys.currentKey(user.id);
    return user;
  }

  async function deactivate(user: UserRecord): Promise<string> {
    await domain.provisioning.update(organizationId, user.id, { active: false });
    return (await database.first(LATEST_PURGE, [user.id]))!.id;
  }

  it('never runs a held or scheduled purge, nor dispatches one that is not due', async () => {
    await setGrace(HOUR_S);
    const scheduledUser = await userWithHistory();
    const scheduledId = await deactivate(scheduledUser);
    const heldUser = await userWithHistory();
    await new LegalHoldRepository(database).insert({
      userId: heldUser.id,
      organizationId,
      reason: 'matter',
      placedBy: 'test',
      placedAt: new Date(),
    });
    const heldId = await deactivate(heldUser);

    expect((await domain.purges.findById(scheduledId))?.state).toBe('scheduled');
    expect(await domain.purges.findById(heldId)).toMatchObject({ state: 'held', holdReason: 'legal_hold' });
    expect(await handler.run(scheduledId)).toBe('skipped');
    expect(await handler.run(heldId)).toBe('skipped');
    await reconciler.reconcile();
    expect(enqueued).not.toContain(scheduledId);
    expect(enqueued).not.toContain(heldId);
    // Both kept every key and item.
    for (const user of [scheduledUser, heldUser]) {
      expect(await database.rows(KEY_ROWS, [user.id])).toHaveLength(1);
    }
    expect(domain.dispatched).not.toContain(heldId);
  });

  it('a reactivation and the end of the grace period racing: exactly one wins, and the outcome is consistent', async () => {
    await setGrace(1);
    const outcomes = { cancelled: 0, promoted: 0 };
    for (let round = 0; round < 6; round += 1) {
      const user = await userWithHistory();
      const purgeId = await deactivate(user);
      const purge = await domain.purges.findById(purgeId);
      expect(purge?.state).toBe('scheduled');
      const after = new Date(purge!.runAfter!.getTime() + 1);
      const [promoted] = await Promise.all([
        domain.purges.promoteScheduled(purgeId, after),
        domain.provisioning.update(organizationId, user.id, { active: true }),
      ]);
      const state = (await domain.purges.findById(purgeId))?.state;
      if (promoted) {
        outcomes.promoted += 1;
        expect(state).toBe('pending');
        expect(await handler.run(purgeId)).toBe('completed');
        // The purge destroyed the keys listed at deactivation; the reactivated user gets a new one for new content.
        expect((await domain.purges.findById(purgeId))?.dataKeysDestroyed).toHaveLength(1);
      } else {
        outcomes.cancelled += 1;
        expect(state).toBe('cancelled');
        expect(await handler.run(purgeId)).toBe('skipped');
        expect(await database.rows(KEY_ROWS, [user.id])).toHaveLength(1);
      }
    }
    expect(outcomes.cancelled + outcomes.promoted).toBe(6);
  });

  it('the reconciler makes a scheduled purge pending once runAfter has passed, and dispatches it', async () => {
    await setGrace(1);
    const user = await userWithHistory();
    const purgeId = await deactivate(user);
    const runAfter = (await domain.purges.findById(purgeId))!.runAfter!;
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, runAfter.getTime() - Date.now()) + 20));
    await reconciler.reconcile();
    expect((await domain.purges.findById(purgeId))?.state).toBe('pending');
    expect(enqueued).toContain(purgeId);
    expect(await handler.run(purgeId)).toBe('completed');
    expect(await database.rows(KEY_ROWS, [user.id])).toEqual([]);
  });
});
