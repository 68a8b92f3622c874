import { INestApplication } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DataKeys } from '../../../src/content-encryption/data-keys.service';
import { PurgeQueryService } from '../../../src/retention/purge-query.service';
import { PurgeScheduler } from '../../../src/retention/purge-scheduler';
import { Purge } from '../../../src/retention/purge.entity';
import { PurgeQueue } from '../../../src/retention/queue/purge-queue';
import { PurgeHandler } from '../../../src/retention/runner/purge-handler';
import { BlobStorage } from '../../../src/storage/blob-storage';
import { adminRequest } from '../../support/admin-api';
import { writeDirectly } from '../../support/direct-writes';
import { storedKeys } from '../../support/e2e-storage';
import { e2eDatabase } from '../../support/e2e-target';
import { expectedReceiptDigest, getPurge, SeededHistory, seedHistory, waitForPurge } from '../../support/purge-fixtures';
import { okta, oktaUser, patchOp, ScimTenant, scimTenant } from '../../support/scim-client';
import { createTestApp } from '../../support/test-app';

const ITEMS = 1000;

/** Every stored byte of a user, by key: what "untouched byte for byte" compares. */
async function snapshotBytes(app: INestApplication, organizationId: string, userId: string): Promise<Map<string, Buffer>> {
  const storage = app.get(BlobStorage);
  const keys = await storedKeys(app, organizationId, userId);
  const bytes = new Map<string, Buffer>();
  for (const key of keys) {
    bytes.set(key, await storage.read(`${organizationId}/${userId}/${key}`));
  }
  return bytes;
}

describe('deactivation purge: 1,000 files and 1,000 messages, deactivated through SCIM PATCH', () => {
  let app: INestApplication;
  let dataSource: DataSource;
  let tenant: ScimTenant;
  let user: { id: string; userName: string };
  let neighbour: { id: string; userName: string };
  let seeded: SeededHistory;
  let neighbourSeeded: SeededHistory;
  let purgeId: string;

  async function provision(userName: string): Promise<{ id: string; userName: string }> {
    const response = await okta(app, tenant)
      .post('/Users', oktaUser(userName, 'Pat', 'Purge'))
      .expect(201);
    return { id: response.body.id as string, userName };
  }

  function storedFilesOf(userId: string): Promise<string[]> {
    return storedKeys(app, tenant.organizationId, userId);
  }

  // Row by row, content and storage keys included: the API only counts a user's history.
  async function historyRows(userId: string): Promise<{ files: unknown[]; messages: unknown[] }> {
    const [files, messages] = await Promise.all([
      dataSource.query('SELECT id, name, size_bytes, sha256, storage_key FROM files WHERE user_id = ? ORDER BY id', [userId]),
      dataSource.query('SELECT id, subject, body FROM messages WHERE user_id = ? ORDER BY id', [userId]),
    ]);
    return { files: files as unknown[], messages: messages as unknown[] };
  }

  beforeAll(async () => {
    app = await createTestApp();
    dataSource = app.get(DataSource);
    tenant = await scimTenant(app, 'purge');
    user = await provision('leaver@purge.example.com');
    neighbour = await provision('stayer@purge.example.com');
    seeded = await seedHistory(app, tenant.apiKey, user.id, { files: ITEMS, messages: ITEMS });
    neighbourSeeded = await seedHistory(app, tenant.apiKey, neighbour.id, { files: ITEMS, messages: ITEMS });
  }, 300_000);

  afterAll(async () => {
    await app.close();
  });

  it('runs on the queue driver of this setup: BullMQ with Redis, in-process without', () => {
    expect(app.get(PurgeQueue).constructor.name).toBe(e2eDatabase() === 'mysql' ? 'BullmqPurgeQueue' : 'InProcessPurgeQueue');
  });

  it('answers the PATCH at once, purges asynchronously, removes rows and bytes, and leaves the neighbour untouched byte for byte', async () => {
    const neighbourBytes = await snapshotBytes(app, tenant.organizationId, neighbour.id);
    const neighbourRows = await historyRows(neighbour.id);
    expect(neighbourBytes.size).toBe(ITEMS);
    expect(await storedFilesOf(user.id)).toHaveLength(ITEMS);
    const dataKeyId = (await app.get(DataKeys).currentKey(user.id)).id;
    const neighbourKeyId = (await app.get(DataKeys).currentKey(neighbour.id)).id;

    const patched = await okta(app, tenant)
      .patch(`/Users/${user.id}`, patchOp({ op: 'replace', value: { active: false } }))
      .expect(200);
    expect(patched.body.active).toBe(false);

    // The response did not wait for the purge: it is recorded, and not finished yet.
    const listed = await adminRequest(app, 'get', `/admin/v1/purges?userId=${user.id}`, tenant.apiKey).expect(200);
    expect(listed.body.total).toBe(1);
    purgeId = listed.body.items[0].id as string;
    expect(['pending', 'running']).toContain(listed.body.items[0].state);
    expect(listed.body.items[0].progress.total).toBe(2 * ITEMS);
    // The key went with the deactivation's commit, before the purge ran; the neighbour's stays.
    expect(listed.body.items[0].dataKeys).toEqual({
      destroyedAt: expect.any(String),
      destroyed: [{ id: dataKeyId, destroyedAt: listed.body.items[0].dataKeys.destroyedAt }],
      pending: [],
    });
    await expect(app.get(DataKeys).key(user.id, dataKeyId)).rejects.toThrow();
    expect((await app.get(DataKeys).key(neighbour.id, neighbourKeyId)).id).toBe(neighbourKeyId);

    const purge = await waitForPurge(app, tenant.apiKey, purgeId);
    const seconds = (Date.parse(purge.completedAt as string) - Date.parse(purge.startedAt as string)) / 1000;
    console.log(
      `[timing] ${e2eDatabase()}: purge of ${ITEMS} files + ${ITEMS} messages took ${seconds.toFixed(2)} s (started → completed)`,
    );

    // The user's rows and bytes are gone.
    expect(await historyRows(user.id)).toEqual({ files: [], messages: [] });
    expect(await storedFilesOf(user.id)).toEqual([]);
    const history = await adminRequest(app, 'get', `/admin/v1/users/${user.id}/history`, tenant.apiKey).expect(200);
    expect(history.body).toMatchObject({ messages: { count: 0 }, files: { count: 0, bytes: 0 } });

    // The neighbour's are exactly as before.
    expect(await historyRows(neighbour.id)).toEqual(neighbourRows);
    const after = await snapshotBytes(app, tenant.organizationId, neighbour.id);
    expect([...after.keys()].sort()).toEqual([...neighbourBytes.keys()].sort());
    for (const [path, bytes] of neighbourBytes) {
      expect(after.get(path)?.equals(bytes), path).toBe(true);
    }

    // The receipt's counts match, and its digest is what an auditor computes from the ids.
    expect(purge).toMatchObject({
      state: 'completed',
      userId: user.id,
      userName: user.userName,
      progress: { done: 2 * ITEMS, total: 2 * ITEMS },
      files: { total: ITEMS, deleted: ITEMS },
      messages: { total: ITEMS, deleted: ITEMS },
      bytesDeleted: seeded.bytes,
      attempts: 1,
      lastError: null,
    });
    expect(purge.receipt).toEqual({
      userId: user.id,
      userName: user.userName,
      requestedAt: purge.requestedAt,
      startedAt: purge.startedAt,
      completedAt: purge.completedAt,
      filesDeleted: ITEMS,
      messagesDeleted: ITEMS,
      bytesDeleted: seeded.bytes,
      digest: expectedReceiptDigest(seeded.fileIds, seeded.messageIds),
      digestMethod: expect.stringContaining('SHA-256'),
      mergedPurges: [],
      dataKeysDestroyedAt: purge.dataKeys.destroyedAt,
      dataKeysDestroyed: [{ id: dataKeyId, destroyedAt: purge.dataKeys.destroyedAt }],
    });
    expect(Date.parse(purge.requestedAt)).toBeLessThanOrEqual(Date.parse(purge.startedAt as string));
  });

  it('lists what was deleted, in the canonical order the digest uses', async () => {
    const first = await adminRequest(app, 'get', `/admin/v1/purges/${purgeId}/items?limit=200`, tenant.apiKey).expect(200);
    expect(first.body.total).toBe(2 * ITEMS);
    const firstItems = first.body.items as { kind: string; id: number }[];
    expect(firstItems.slice(0, 3)).toEqual(seeded.fileIds.slice(0, 3).map((id) => ({ kind: 'file', id, sizeBytes: expect.any(Number) })));
    const last = await adminRequest(
      app,
      'get',
      `/admin/v1/purges/${purgeId}/items?limit=200&offset=${2 * ITEMS - 200}`,
      tenant.apiKey,
    ).expect(200);
    const lastItems = last.body.items as { kind: string; id: number }[];
    expect(lastItems.map((item) => `${item.kind}:${item.id}`)).toEqual(seeded.messageIds.slice(-200).map((id) => `message:${id}`));
  });

  it('exposes the latest purge summary of the user to the users domain', async () => {
    const summary = await app.get(PurgeQueryService).latestForUser(tenant.organizationId, user.id);
    expect(summary).toMatchObject({ id: purgeId, state: 'completed', receipt: { filesDeleted: ITEMS, messagesDeleted: ITEMS } });
    expect(await app.get(PurgeQueryService).latestForUser(tenant.organizationId, neighbour.id)).toBeNull();
    expect(await app.get(PurgeQueryService).latestForUser('another-organization', user.id)).toBeNull();
  });

  it('running it again deletes nothing more and reports the same totals and digest', async () => {
    const before = await getPurge(app, tenant.apiKey, purgeId);
    const handler = app.get(PurgeHandler);

    // A duplicate delivery of a completed purge is a no-op.
    expect(await handler.run(purgeId)).toBe('skipped');
    await app.get(PurgeScheduler).dispatch(purgeId);

    // Even forced to run again from the start (as after a crash just before completion was recorded),
    // it finds nothing of the user's at or below its cutoffs and recomputes the same receipt.
    await writeDirectly(app, (dataSource) =>
      dataSource.getRepository(Purge).update({ id: purgeId }, { state: 'pending', completedAt: null, receiptDigest: null }),
    );
    expect(await handler.run(purgeId)).toBe('completed');
    const after = await getPurge(app, tenant.apiKey, purgeId);
    expect(after.receipt).toEqual({ ...before.receipt, completedAt: after.completedAt });
    expect(after).toMatchObject({ files: before.files, messages: before.messages, bytesDeleted: before.bytesDeleted, attempts: 2 });

    const neighbourRows = await historyRows(neighbour.id);
    expect(neighbourRows.files).toHaveLength(ITEMS);
    expect(neighbourRows.messages).toHaveLength(ITEMS);
    expect(await storedFilesOf(neighbour.id)).toHaveLength(ITEMS);
    expect(neighbourSeeded.fileIds).toHaveLength(ITEMS);
  });
});
