import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { INestApplication } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StoredFile } from '../../../src/history/stored-file.entity';
import { PurgeQueryService } from '../../../src/retention/purge-query.service';
import { adminRequest, bootstrapOrganization } from '../../support/admin-api';
import { historyOf, purgeIdsOfUser } from '../../support/api-reads';
import { e2eS3Server, storedKeys } from '../../support/e2e-storage';
import { e2eStorage } from '../../support/e2e-target';
import { expectedReceiptDigest, seedHistory, storageDirectory, waitForPurge } from '../../support/purge-fixtures';
import { okta, oktaUser, patchOp, ScimTenant, scimTenant } from '../../support/scim-client';
import { rememberSecret } from '../../support/secret-ledger';
import { createTestApp } from '../../support/test-app';

const RETRY_BASE_MS = 400;
const MAX_ATTEMPTS = 3;
const onS3 = e2eStorage() === 's3';

describe('a failing storage delete', () => {
  let app: INestApplication;
  let tenant: ScimTenant;

  beforeAll(async () => {
    Object.assign(process.env, {
      PURGE_RETRY_BASE_MS: String(RETRY_BASE_MS),
      PURGE_MAX_ATTEMPTS: String(MAX_ATTEMPTS),
      PURGE_RECONCILE_INTERVAL_MS: '100',
      PURGE_BATCH_SIZE: '4',
    });
    app = await createTestApp();
    tenant = await scimTenant(app, 'fault');
  });

  afterAll(async () => {
    await app.close();
    for (const name of ['PURGE_RETRY_BASE_MS', 'PURGE_MAX_ATTEMPTS', 'PURGE_RECONCILE_INTERVAL_MS', 'PURGE_BATCH_SIZE']) {
      delete process.env[name];
    }
  });

  it('fails the purge visibly, retries with backoff, and completes after the fault is fixed and an administrator retries', async () => {
    const user = (await okta(app, tenant).post('/Users', oktaUser('faulty@fault.example.com')).expect(201)).body as { id: string };
    const neighbour = (await okta(app, tenant).post('/Users', oktaUser('bystander@fault.example.com')).expect(201)).body as { id: string };
    const seeded = await seedHistory(app, tenant.apiKey, user.id, { files: 10, messages: 5 });
    await seedHistory(app, tenant.apiKey, neighbour.id, { files: 3, messages: 3 });

    // The fault: one stored file cannot be deleted. On disk it becomes a non-empty directory, which
    // unlink cannot remove (even as root); in the bucket the store refuses its deletion.
    // No API names where a file's bytes live: the fault is put there through the stored row.
    const broken = await app.get(DataSource).getRepository(StoredFile).findOneByOrFail({ id: seeded.fileIds[4] });
    const brokenPath = join(storageDirectory(app), broken.storageKey);
    const brokenObject = `${process.env.S3_PREFIX ?? ''}${broken.storageKey}`;
    if (onS3) {
      e2eS3Server().undeletable.add(brokenObject);
    } else {
      rmSync(brokenPath);
      mkdirSync(brokenPath);
      writeFileSync(join(brokenPath, 'pinned'), 'cannot go');
    }

    await okta(app, tenant)
      .patch(`/Users/${user.id}`, patchOp({ op: 'replace', value: { active: false } }))
      .expect(200);
    const [purgeId] = await purgeIdsOfUser(app, tenant.apiKey, user.id);

    // Watch the automatic attempts: each failure schedules the next one further out.
    const nextAttempts = new Map<number, number | null>();
    const deadline = Date.now() + 30_000;
    for (;;) {
      // Polled through the service that backs GET /admin/v1/purges/:id: signed requests this often would be throttled.
      const purge = await app.get(PurgeQueryService).get(tenant.organizationId, purgeId);
      if (purge.state === 'failed' && !nextAttempts.has(purge.attempts)) {
        nextAttempts.set(purge.attempts, purge.nextAttemptAt === null ? null : Date.parse(purge.nextAttemptAt));
      }
      if (purge.state === 'failed' && purge.attempts === MAX_ATTEMPTS) {
        break;
      }
      if (Date.now() > deadline) {
        throw new Error(`automatic retries did not run: ${JSON.stringify(purge)}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
    expect([...nextAttempts.keys()]).toEqual([1, 2, 3]);
    const [first, second, third] = [nextAttempts.get(1), nextAttempts.get(2), nextAttempts.get(3)];
    expect(first).not.toBeNull();
    expect(second).not.toBeNull();
    // Attempt 2 could only start once attempt 1's backoff was over, and then waited twice as long.
    expect(second! - first!).toBeGreaterThanOrEqual(2 * RETRY_BASE_MS);
    // Attempts used up: no further automatic retry.
    expect(third).toBeNull();

    const failed = (await adminRequest(app, 'get', `/admin/v1/purges/${purgeId}`, tenant.apiKey).expect(200)).body;
    expect(failed).toMatchObject({
      state: 'failed',
      attempts: MAX_ATTEMPTS,
      nextAttemptAt: null,
      // Everything else was deleted; only the broken file is left.
      files: { total: 10, deleted: 9 },
      messages: { total: 5, deleted: 5 },
      receipt: null,
    });
    expect(failed.lastError).toContain(`file ${broken.id}`);
    expect(failed.lastError).toMatch(onS3 ? /AccessDenied/ : /EISDIR|EPERM|directory/);
    const listed = await adminRequest(app, 'get', '/admin/v1/purges?state=failed', tenant.apiKey).expect(200);
    expect((listed.body.items as { id: string }[]).map((purge) => purge.id)).toEqual([purgeId]);
    expect(await historyOf(app, tenant.apiKey, user.id)).toEqual({ messages: 0, files: 1, bytes: Number(broken.sizeBytes) });

    // Fixed: on disk the bytes are gone now (the directory removed), which counts as deleted; in
    // the bucket the store deletes them again.
    if (onS3) {
      e2eS3Server().undeletable.delete(brokenObject);
    } else {
      rmSync(brokenPath, { recursive: true });
    }
    const retried = await adminRequest(app, 'post', `/admin/v1/purges/${purgeId}/retry`, tenant.apiKey).expect(202);
    expect(['pending', 'running', 'completed']).toContain(retried.body.state);
    const completed = await waitForPurge(app, tenant.apiKey, purgeId);
    expect(completed).toMatchObject({
      state: 'completed',
      attempts: MAX_ATTEMPTS + 1,
      files: { total: 10, deleted: 10 },
      messages: { total: 5, deleted: 5 },
      bytesDeleted: seeded.bytes,
      progress: { done: 15, total: 15 },
    });
    expect(completed.receipt?.digest).toBe(expectedReceiptDigest(seeded.fileIds, seeded.messageIds));
    expect(await storedKeys(app, tenant.organizationId, user.id)).toEqual([]);
    expect(await storedKeys(app, tenant.organizationId, neighbour.id)).toHaveLength(3);

    // Only failed purges can be retried.
    const conflict = await adminRequest(app, 'post', `/admin/v1/purges/${purgeId}/retry`, tenant.apiKey).expect(409);
    expect(conflict.body.error).toBe('purge_not_retryable');
  });

  it("answers 404 for unknown purges and another organization's purges", async () => {
    const other = await bootstrapOrganization(app, 'fault-other');
    rememberSecret(other.apiKey.secret);
    const user = (await okta(app, tenant).post('/Users', oktaUser('theirs@fault.example.com')).expect(201)).body as { id: string };
    await okta(app, tenant)
      .patch(`/Users/${user.id}`, patchOp({ op: 'replace', value: { active: false } }))
      .expect(200);
    const [purgeId] = await purgeIdsOfUser(app, tenant.apiKey, user.id);
    for (const path of [`/admin/v1/purges/${purgeId}`, `/admin/v1/purges/${purgeId}/items`, '/admin/v1/purges/no-such-purge']) {
      await adminRequest(app, 'get', path, other.apiKey).expect(404);
    }
    await adminRequest(app, 'post', `/admin/v1/purges/${purgeId}/retry`, other.apiKey).expect(404);
    await adminRequest(app, 'post', '/admin/v1/purges/no-such-purge/retry', tenant.apiKey).expect(404);
    const listed = await adminRequest(app, 'get', '/admin/v1/purges', other.apiKey).expect(200);
    expect(listed.body).toEqual({ items: [], total: 0, limit: 50, offset: 0 });
  });
});
