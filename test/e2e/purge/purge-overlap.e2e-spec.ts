import { setTimeout as sleep } from 'node:timers/promises';
import { INestApplication } from '@nestjs/common';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Purge } from '../../../src/retention/purge.entity';
import { PurgeRepository } from '../../../src/retention/purge.repository';
import { PurgeBatches } from '../../../src/retention/runner/purge-batches';
import { LeaseLostError } from '../../../src/retention/runner/purge-errors';
import { PurgeHandler } from '../../../src/retention/runner/purge-handler';
import { adminRequest, BREAKER_OFF_POLICY } from '../../support/admin-api';
import { historyOf, purgeIdsOfUser } from '../../support/api-reads';
import { writeDirectly } from '../../support/direct-writes';
import { storedKeys } from '../../support/e2e-storage';
import { expectedReceiptDigest, getPurge, PurgeView, SeededHistory, seedHistory, sha256, waitForPurge } from '../../support/purge-fixtures';
import { okta, oktaUser, patchOp, ScimTenant, scimTenant } from '../../support/scim-client';
import { createTestApp } from '../../support/test-app';

const BATCH = 2;

describe('a user deactivated again before their earlier purge completed', () => {
  let app: INestApplication;
  let tenant: ScimTenant;
  let handler: PurgeHandler;

  beforeAll(async () => {
    // An API process: nothing runs purges but the test, through the one purge handler.
    process.env.PROCESS_ROLE = 'api';
    process.env.PURGE_BATCH_SIZE = String(BATCH);
    // Slow enough for a deactivation to land between two batches of a running purge.
    process.env.PURGE_BATCH_PAUSE_MS = '40';
    app = await createTestApp();
    tenant = await scimTenant(app, 'overlap');
    handler = app.get(PurgeHandler);
  });

  afterAll(async () => {
    await app.close();
    delete process.env.PROCESS_ROLE;
    delete process.env.PURGE_BATCH_SIZE;
    delete process.env.PURGE_BATCH_PAUSE_MS;
  });

  async function newUser(name: string): Promise<string> {
    return (
      (
        await okta(app, tenant)
          .post('/Users', oktaUser(`${name}@overlap.example.com`))
          .expect(201)
      ).body as { id: string }
    ).id;
  }

  async function setActive(userId: string, active: boolean): Promise<void> {
    await okta(app, tenant)
      .patch(`/Users/${userId}`, patchOp({ op: 'replace', value: { active } }))
      .expect(200);
  }

  /** Deactivates the user and returns the purge that deactivation recorded. */
  async function deactivate(userId: string): Promise<string> {
    const before = new Set(await purgeIdsOfUser(app, tenant.apiKey, userId));
    await setActive(userId, false);
    const recorded = (await purgeIdsOfUser(app, tenant.apiKey, userId)).filter((id) => !before.has(id));
    expect(recorded).toHaveLength(1);
    return recorded[0];
  }

  /** Every item of the purge through the admin API, and the digest an auditor recomputes from them. */
  async function auditedItems(purgeId: string): Promise<{ items: { kind: string; id: number; sizeBytes: number }[]; digest: string }> {
    const items: { kind: string; id: number; sizeBytes: number }[] = [];
    for (let offset = 0; ; offset += 3) {
      const page = (await adminRequest(app, 'get', `/admin/v1/purges/${purgeId}/items?limit=3&offset=${offset}`, tenant.apiKey).expect(200))
        .body as {
        items: { kind: string; id: number; sizeBytes: number }[];
        total: number;
      };
      items.push(...page.items);
      if (offset + 3 >= page.total) {
        break;
      }
    }
    return { items, digest: sha256(items.map((item) => `${item.kind}:${item.id}\n`).join('')) };
  }

  async function expectNothingLeft(userId: string): Promise<void> {
    expect(await historyOf(app, tenant.apiKey, userId)).toEqual({ messages: 0, files: 0, bytes: 0 });
    expect(await storedKeys(app, tenant.organizationId, userId)).toEqual([]);
  }

  function all(...histories: SeededHistory[]): { fileIds: number[]; messageIds: number[]; bytes: number; digest: string } {
    const fileIds = histories.flatMap((history) => history.fileIds);
    const messageIds = histories.flatMap((history) => history.messageIds);
    return {
      fileIds,
      messageIds,
      bytes: histories.reduce((sum, history) => sum + history.bytes, 0),
      digest: expectedReceiptDigest(fileIds, messageIds),
    };
  }

  it('the later purge takes over the pending one: one receipt that adds up, N of N, and recomputes', async () => {
    const userId = await newUser('pending');
    const first = await seedHistory(app, tenant.apiKey, userId, { files: 5, messages: 3 }, 'first');
    const earlierId = await deactivate(userId);
    await setActive(userId, true);
    const second = await seedHistory(app, tenant.apiKey, userId, { files: 2, messages: 1 }, 'second');
    const laterId = await deactivate(userId);

    expect(await getPurge(app, tenant.apiKey, earlierId)).toMatchObject({
      state: 'merged',
      mergedInto: laterId,
      mergedPurges: [],
      receipt: null,
      nextAttemptAt: null,
    });
    expect(await getPurge(app, tenant.apiKey, laterId)).toMatchObject({
      state: 'pending',
      mergedInto: null,
      mergedPurges: [earlierId],
      files: { total: 7, deleted: 0 },
      messages: { total: 4, deleted: 0 },
      progress: { done: 0, total: 11 },
    });

    // A merged purge is never run again, whoever dispatches it; the later one does all the work.
    expect(await handler.run(earlierId)).toBe('skipped');
    expect(await handler.run(laterId)).toBe('completed');

    const everything = all(first, second);
    const later = await getPurge(app, tenant.apiKey, laterId);
    expect(later).toMatchObject({
      state: 'completed',
      files: { total: 7, deleted: 7 },
      messages: { total: 4, deleted: 4 },
      progress: { done: 11, total: 11 },
      bytesDeleted: everything.bytes,
    });
    expect(later.receipt).toMatchObject({
      filesDeleted: 7,
      messagesDeleted: 4,
      bytesDeleted: everything.bytes,
      digest: everything.digest,
      mergedPurges: [earlierId],
    });
    const audited = await auditedItems(laterId);
    expect(audited.items).toHaveLength(11);
    expect(audited.digest).toBe(later.receipt?.digest);
    expect((await auditedItems(earlierId)).items).toEqual([]);
    await expectNothingLeft(userId);

    const retried = await adminRequest(app, 'post', `/admin/v1/purges/${earlierId}/retry`, tenant.apiKey).expect(409);
    expect(retried.body.message).toBe(
      `Only failed purges can be retried; this one was merged into purge ${laterId}, which carries on its work: retry that one if it failed.`,
    );
    const listed = await adminRequest(app, 'get', `/admin/v1/purges?userId=${userId}&state=merged`, tenant.apiKey).expect(200);
    expect((listed.body as { items: PurgeView[] }).items.map((purge) => [purge.id, purge.mergedInto])).toEqual([[earlierId, laterId]]);
    const metrics = (await request(app.getHttpServer()).get('/metrics').expect(200)).text;
    expect(metrics).toMatch(/^scim_purges\{state="merged"\} [1-9]/m);
  });

  it('takes over one a dead worker left part-way; a stalled batch of that worker deletes nothing; a crash of the later purge and re-runs change nothing', async () => {
    const userId = await newUser('part-way');
    const first = await seedHistory(app, tenant.apiKey, userId, { files: 6, messages: 4 }, 'first');
    const earlierId = await deactivate(userId);
    // A worker claims the purge, commits one batch of files, and is never heard from again.
    const purges = app.get(PurgeRepository);
    const batches = app.get(PurgeBatches);
    const stalled = { owner: 'stalled-worker', leaseMs: 60_000 };
    const claimed = (await purges.claim(earlierId, stalled.owner, new Date(), stalled.leaseMs))!;
    const done = await batches.deleteFiles(claimed, 0, BATCH, stalled);
    expect(done.seen).toBe(BATCH);

    await setActive(userId, true);
    const second = await seedHistory(app, tenant.apiKey, userId, { files: 1, messages: 1 }, 'second');
    const laterId = await deactivate(userId);
    const earlier = await getPurge(app, tenant.apiKey, earlierId);
    expect(earlier).toMatchObject({ state: 'merged', mergedInto: laterId, files: { total: 6, deleted: BATCH } });
    expect(earlier.bytesDeleted).toBeGreaterThan(0);
    expect(await getPurge(app, tenant.apiKey, laterId)).toMatchObject({
      mergedPurges: [earlierId],
      files: { total: 7, deleted: BATCH },
      messages: { total: 5, deleted: 0 },
      bytesDeleted: earlier.bytesDeleted,
    });

    // The stalled worker wakes up: its next batch cannot commit.
    await expect(batches.deleteFiles(claimed, done.lastId, BATCH, stalled)).rejects.toBeInstanceOf(LeaseLostError);
    expect((await historyOf(app, tenant.apiKey, userId)).files).toBe(5);

    // The later purge's worker commits one batch and crashes; its lease runs out; another finishes.
    const crashing = { owner: 'crashing-worker', leaseMs: 1 };
    const claimedLater = (await purges.claim(laterId, crashing.owner, new Date(), crashing.leaseMs))!;
    await batches.deleteFiles(claimedLater, 0, BATCH, crashing);
    await sleep(20);
    expect(await handler.run(laterId)).toBe('completed');

    const everything = all(first, second);
    const completed = await getPurge(app, tenant.apiKey, laterId);
    expect(completed).toMatchObject({
      files: { total: 7, deleted: 7 },
      messages: { total: 5, deleted: 5 },
      bytesDeleted: everything.bytes,
      attempts: 2,
    });
    expect(completed.receipt).toMatchObject({
      filesDeleted: 7,
      messagesDeleted: 5,
      bytesDeleted: everything.bytes,
      digest: everything.digest,
      mergedPurges: [earlierId],
    });
    expect((await auditedItems(laterId)).digest).toBe(everything.digest);
    expect((await auditedItems(earlierId)).items.map((item) => item.id)).toEqual(first.fileIds.slice(0, BATCH));
    await expectNothingLeft(userId);

    // Run again: nothing more is deleted and the receipt is the same; the merged one never runs.
    expect(await handler.run(laterId)).toBe('skipped');
    await writeDirectly(app, (dataSource) => dataSource.getRepository(Purge).update({ id: laterId }, { state: 'pending' }));
    expect(await handler.run(laterId)).toBe('completed');
    expect((await getPurge(app, tenant.apiKey, laterId)).receipt).toMatchObject({
      filesDeleted: 7,
      messagesDeleted: 5,
      bytesDeleted: everything.bytes,
      digest: everything.digest,
    });
    expect(await handler.run(earlierId)).toBe('skipped');
    expect(await getPurge(app, tenant.apiKey, earlierId)).toMatchObject({ state: 'merged', mergedInto: laterId, receipt: null });
  });

  it('a third deactivation takes over both earlier purges: each names the last one, whose receipt covers all', async () => {
    const userId = await newUser('chain');
    const histories = [await seedHistory(app, tenant.apiKey, userId, { files: 2, messages: 1 }, 'one')];
    const firstId = await deactivate(userId);
    await setActive(userId, true);
    histories.push(await seedHistory(app, tenant.apiKey, userId, { files: 1, messages: 1 }, 'two'));
    const secondId = await deactivate(userId);
    await setActive(userId, true);
    histories.push(await seedHistory(app, tenant.apiKey, userId, { files: 1, messages: 0 }, 'three'));
    const thirdId = await deactivate(userId);

    expect(await getPurge(app, tenant.apiKey, firstId)).toMatchObject({ state: 'merged', mergedInto: thirdId });
    expect(await getPurge(app, tenant.apiKey, secondId)).toMatchObject({ state: 'merged', mergedInto: thirdId });
    expect((await getPurge(app, tenant.apiKey, thirdId)).mergedPurges).toEqual([firstId, secondId]);
    expect(await handler.run(thirdId)).toBe('completed');
    const everything = all(...histories);
    expect((await getPurge(app, tenant.apiKey, thirdId)).receipt).toMatchObject({
      filesDeleted: 4,
      messagesDeleted: 2,
      digest: everything.digest,
      mergedPurges: [firstId, secondId],
    });
    await expectNothingLeft(userId);
  });

  it('a deactivation landing while the earlier purge is running stops it between batches; the later one completes N of N', async () => {
    const userId = await newUser('racing');
    const first = await seedHistory(app, tenant.apiKey, userId, { files: 30, messages: 10 }, 'first');
    const earlierId = await deactivate(userId);
    const running = handler.run(earlierId);
    await waitForPurge(app, tenant.apiKey, earlierId, (purge) => purge.files.deleted >= 2 * BATCH, 30_000);
    await setActive(userId, true);
    const laterId = await deactivate(userId);

    expect(await running).toBe('lease-lost');
    const earlier = await getPurge(app, tenant.apiKey, earlierId);
    expect(earlier).toMatchObject({ state: 'merged', mergedInto: laterId });
    expect(earlier.files.deleted).toBeLessThan(30);
    expect(await getPurge(app, tenant.apiKey, laterId)).toMatchObject({
      files: { total: 30, deleted: earlier.files.deleted },
      messages: { total: 10 },
    });

    expect(await handler.run(laterId)).toBe('completed');
    const everything = all(first);
    expect((await getPurge(app, tenant.apiKey, laterId)).receipt).toMatchObject({
      filesDeleted: 30,
      messagesDeleted: 10,
      bytesDeleted: everything.bytes,
      digest: everything.digest,
    });
    expect((await auditedItems(laterId)).digest).toBe(everything.digest);
    await expectNothingLeft(userId);
  });
});

describe('deactivations of different users at the same moment', () => {
  let app: INestApplication;
  let tenant: ScimTenant;

  beforeAll(async () => {
    process.env.PROCESS_ROLE = 'api';
    app = await createTestApp();
    tenant = await scimTenant(app, 'simultaneous');
    // 40 deactivations at once would trip the mass-deactivation breaker (purge-breaker.e2e-spec.ts).
    await adminRequest(app, 'put', '/admin/v1/organization/purge-policy', tenant.apiKey, BREAKER_OFF_POLICY).expect(200);
  });

  afterAll(async () => {
    await app.close();
    delete process.env.PROCESS_ROLE;
  });

  it('all succeed: looking for a purge to take over locks nothing another user needs (no deadlock, no 503)', async () => {
    const scim = okta(app, tenant);
    const ids: string[] = [];
    for (let index = 0; index < 40; index += 1) {
      ids.push(((await scim.post('/Users', oktaUser(`simultaneous-${index}@overlap.example.com`)).expect(201)).body as { id: string }).id);
    }
    const statuses = await Promise.all(
      ids.map((id) => scim.patch(`/Users/${id}`, patchOp({ op: 'replace', value: { active: false } })).then((response) => response.status)),
    );
    expect(statuses.filter((status) => status !== 200)).toEqual([]);
    const purges = (await adminRequest(app, 'get', '/admin/v1/purges?limit=200', tenant.apiKey).expect(200)).body as {
      items: { state: string }[];
    };
    expect(purges.items.map((purge) => purge.state)).toEqual(ids.map(() => 'pending'));
  });
});
