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
import { PurgeRecord } from '../../../src/retention/purge.repository';
import { PurgedItemRepository } from '../../../src/retention/purged-item.repository';
import { PurgeBatches } from '../../../src/retention/runner/purge-batches';
import { PurgeHandler } from '../../../src/retention/runner/purge-handler';
import { PurgeMetrics } from '../../../src/retention/runner/purge-metrics';
import { LocalDiskBlobStorage } from '../../../src/storage/local-disk-blob-storage';
import { UserRecord } from '../../../src/users/users.repository';
import { IntegrationDatabase, openIntegrationDatabase } from '../support/integration-database';
import { addHistory, createOrganization, usersDomain, UsersDomain } from '../users/support/users-fixtures';

const settings = { purge: { leaseMs: 60_000, batchSize: 2, batchPauseMs: 0, retryBaseMs: 1000, maxAttempts: 3 } } as Settings;
const KEY_ROWS = statement<{ id: string }>('test.purgeKeys.keyRows', 'SELECT id FROM data_keys WHERE user_id = ? ORDER BY id');
const LATEST_PURGE = statement<{ id: string }>(
  'test.purgeKeys.latestPurge',
  "SELECT id FROM purges WHERE user_id = ? AND state <> 'merged' ORDER BY requested_at DESC, id LIMIT 1",
);

/**
 * Destroying users' data keys for their purges, on the real databases: in the deactivation's
 * transaction, or deferred to the purge's first step; and across purges merged into one.
 */
describe('purge data keys', () => {
  let opened: IntegrationDatabase;
  let database: Database;
  let domain: UsersDomain;
  let handler: PurgeHandler;
  let batches: PurgeBatches;
  let organizationId: string;
  let storageRoot: string;
  let serial = 0;

  beforeAll(async () => {
    opened = await openIntegrationDatabase({ sqliteFile: 'purge-data-keys.sqlite' });
    database = opened.database;
    domain = usersDomain(database);
    storageRoot = mkdtempSync(join(tmpdir(), 'scim-purge-keys-'));
    const ledger = new PurgedItemRepository(database);
    batches = new PurgeBatches(
      database,
      new LocalDiskBlobStorage(storageRoot),
      new HistoryPurgePort(new HistoryRepository(database)),
      domain.purges,
      ledger,
      domain.dataKeys,
    );
    handler = new PurgeHandler(domain.purges, ledger, batches, new PurgeMetrics(new MetricsRegistry(), domain.purges), settings);
    organizationId = await createOrganization(database);
  });

  afterAll(async () => {
    await opened.close();
    rmSync(storageRoot, { recursive: true, force: true });
  });

  async function userWithKey(): Promise<{ user: UserRecord; keyId: string }> {
    serial += 1;
    const user = await domain.provisioning.create(organizationId, {
      userName: `keys-${serial}@example.com`,
      givenName: 'Kim',
      familyName: 'Keys',
      email: null,
      externalId: null,
      active: true,
    });
    await addHistory(database, organizationId, user.id, 3, 0);
    return { user, keyId: (await domain.dataKeys.currentKey(user.id)).id };
  }

  async function keyRows(userId: string): Promise<string[]> {
    return (await database.rows(KEY_ROWS, [userId])).map((row) => row.id);
  }

  async function latestPurge(userId: string): Promise<PurgeRecord> {
    const row = await database.first(LATEST_PURGE, [userId]);
    const purge = row && (await domain.purges.findById(row.id));
    if (!purge) {
      throw new Error(`no purge for ${userId}`);
    }
    return purge;
  }

  async function recordDeferred(user: UserRecord): Promise<string> {
    return (
      await database.transaction(async () =>
        domain.scheduler.record(
          { id: user.id, organizationId: user.organizationId, userName: user.userName },
          await domain.scheduler.lockForDeactivation(user.organizationId),
          'deferred',
        ),
      )
    ).purgeId;
  }

  it('a deactivation destroys every key of the user in its transaction and records which, and when', async () => {
    const { user, keyId } = await userWithKey();
    const before = new Date();
    await domain.provisioning.update(organizationId, user.id, { active: false });
    expect(await keyRows(user.id)).toEqual([]);
    const purge = await latestPurge(user.id);
    expect(purge.dataKeyIdsToDestroy).toBeNull();
    expect(purge.dataKeysDestroyed.map((key) => key.id)).toEqual([keyId]);
    expect(purge.dataKeysDestroyedAt!.getTime()).toBeGreaterThanOrEqual(before.getTime() - 1);
    // Nothing is left for the purge to do about keys: its run leaves the record as it was.
    expect(await handler.run(purge.id)).toBe('completed');
    const completed = await domain.purges.findById(purge.id);
    expect(completed?.dataKeysDestroyed).toEqual(purge.dataKeysDestroyed);
    expect(completed?.dataKeysDestroyedAt).toEqual(purge.dataKeysDestroyedAt);
  });

  it('SCIM DELETE of an active user destroys their keys too', async () => {
    const { user, keyId } = await userWithKey();
    await domain.provisioning.remove(organizationId, user.id);
    expect(await keyRows(user.id)).toEqual([]);
    expect((await latestPurge(user.id)).dataKeysDestroyed.map((key) => key.id)).toEqual([keyId]);
  });

  it('a deactivation that rolls back destroys no key', async () => {
    const { user, keyId } = await userWithKey();
    await expect(
      database.transaction(async () => {
        await domain.scheduler.record(
          { id: user.id, organizationId, userName: user.userName },
          await domain.scheduler.lockForDeactivation(organizationId),
        );
        throw new Error('rolled back');
      }),
    ).rejects.toThrow('rolled back');
    expect(await keyRows(user.id)).toEqual([keyId]);
  });

  it('a deferred destruction keeps the key (retired) until the purge destroys it as its first step, once', async () => {
    const { user, keyId } = await userWithKey();
    const purgeId = await recordDeferred(user);
    expect(await keyRows(user.id)).toEqual([keyId]);
    const recorded = await domain.purges.findById(purgeId);
    expect(recorded?.dataKeyIdsToDestroy).toEqual([keyId]);
    expect(recorded?.dataKeysDestroyedAt).toBeNull();
    // A write after the deferral gets a new current key, not the retired one.
    const next = await domain.dataKeys.currentKey(user.id);
    expect(next.id).not.toBe(keyId);

    expect(await handler.run(purgeId)).toBe('completed');
    expect(await keyRows(user.id)).toEqual([next.id]);
    const completed = await domain.purges.findById(purgeId);
    expect(completed?.dataKeyIdsToDestroy).toBeNull();
    expect(completed?.dataKeysDestroyed.map((key) => key.id)).toEqual([keyId]);
    expect(completed?.dataKeysDestroyedAt).not.toBeNull();
    expect(completed?.messagesDeleted).toBe(3);

    // A re-run of the step (a crash after its commit) finds nothing left and changes nothing.
    const again = await batches.destroyDeferredKeys(completed!, { owner: handler.owner, leaseMs: 60_000 });
    expect(again).toEqual(completed);
    expect(await keyRows(user.id)).toEqual([next.id]);
  });

  it('a deferred step whose lease was lost destroys nothing', async () => {
    const { user, keyId } = await userWithKey();
    const purgeId = await recordDeferred(user);
    const purge = await domain.purges.findById(purgeId);
    await expect(batches.destroyDeferredKeys(purge!, { owner: 'someone-else', leaseMs: 60_000 })).rejects.toThrow();
    expect(await keyRows(user.id)).toEqual([keyId]);
  });

  it('purges merged into one: the keys of both deactivations end destroyed, and its record lists both', async () => {
    const { user, keyId: first } = await userWithKey();
    await domain.provisioning.update(organizationId, user.id, { active: false });
    const earlier = await latestPurge(user.id);
    await domain.provisioning.update(organizationId, user.id, { active: true, givenName: 'Kim', familyName: 'Keys' });
    const second = (await domain.dataKeys.currentKey(user.id)).id;
    expect(second).not.toBe(first);
    await domain.provisioning.update(organizationId, user.id, { active: false });
    const later = await latestPurge(user.id);
    expect(later.id).not.toBe(earlier.id);
    expect((await domain.purges.findById(earlier.id))?.state).toBe('merged');
    expect(await keyRows(user.id)).toEqual([]);
    expect(later.dataKeysDestroyed.map((key) => key.id)).toEqual([first, second]);
  });

  it('a deferred purge taken over by a deactivation: its pending key is destroyed by the deactivation', async () => {
    const { user, keyId: retired } = await userWithKey();
    const deferred = await recordDeferred(user);
    const current = (await domain.dataKeys.currentKey(user.id)).id;
    await domain.provisioning.update(organizationId, user.id, { active: false });
    expect(await keyRows(user.id)).toEqual([]);
    const later = await latestPurge(user.id);
    expect((await domain.purges.findById(deferred))?.state).toBe('merged');
    expect(later.dataKeyIdsToDestroy).toBeNull();
    expect(later.dataKeysDestroyed.map((key) => key.id).sort()).toEqual([retired, current].sort());
  });
});
