import { INestApplication } from '@nestjs/common';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DataKeys } from '../../../src/content-encryption/data-keys.service';
import { BlobStorage } from '../../../src/storage/blob-storage';
import { adminRequest } from '../../support/admin-api';
import { purgeIdsOfUser } from '../../support/api-reads';
import { storedKeys } from '../../support/e2e-storage';
import { expectedReceiptDigest, getPurge, seedHistory, waitForPurge } from '../../support/purge-fixtures';
import { okta, oktaUser, patchOp, ScimTenant, scimTenant } from '../../support/scim-client';
import { createTestAppWithRole } from '../../support/test-app';

describe('reactivation while a purge is pending', () => {
  let api: INestApplication;
  let worker: INestApplication | undefined;
  let tenant: ScimTenant;

  beforeAll(async () => {
    // Without Redis, purges dispatched by an API process wait for a worker's reconciler pass.
    process.env.PURGE_RECONCILE_INTERVAL_MS = '200';
    // The API process never runs purges, so the purge stays pending until a worker starts.
    api = await createTestAppWithRole('api');
    tenant = await scimTenant(api, 'reactivation');
  });

  afterAll(async () => {
    await worker?.close();
    await api.close();
    delete process.env.PURGE_RECONCILE_INTERVAL_MS;
  });

  it('purges the old items; items added after reactivation survive (until the next deactivation)', async () => {
    const scim = okta(api, tenant);
    const user = (await scim.post('/Users', oktaUser('returning@reactivation.example.com')).expect(201)).body as { id: string };
    const before = await seedHistory(api, tenant.apiKey, user.id, { files: 6, messages: 6 }, 'before');
    const userKeys = (): Promise<string[]> => storedKeys(api, tenant.organizationId, user.id);
    const dataKeys = api.get(DataKeys);
    const firstKey = (await dataKeys.currentKey(user.id)).id;

    await scim.patch(`/Users/${user.id}`, patchOp({ op: 'replace', value: { active: false } })).expect(200);
    const [firstPurgeId] = await purgeIdsOfUser(api, tenant.apiKey, user.id);
    expect((await getPurge(api, tenant.apiKey, firstPurgeId)).state).toBe('pending');

    const reactivated = await scim.patch(`/Users/${user.id}`, patchOp({ op: 'replace', value: { active: true } })).expect(200);
    expect(reactivated.body.active).toBe(true);
    const after = await seedHistory(api, tenant.apiKey, user.id, { files: 3, messages: 3 }, 'after');
    // The deactivation destroyed the first key; content written after the reactivation gets a new one.
    await expect(dataKeys.key(user.id, firstKey)).rejects.toThrow();
    const secondKey = (await dataKeys.currentKey(user.id)).id;
    expect(secondKey).not.toBe(firstKey);
    expect((await getPurge(api, tenant.apiKey, firstPurgeId)).state).toBe('pending');

    // A worker comes up and runs the pending purge.
    worker = await createTestAppWithRole('worker');
    const first = await waitForPurge(api, tenant.apiKey, firstPurgeId);
    expect(first).toMatchObject({ files: { total: 6, deleted: 6 }, messages: { total: 6, deleted: 6 }, bytesDeleted: before.bytes });
    expect(first.receipt?.digest).toBe(expectedReceiptDigest(before.fileIds, before.messageIds));
    expect(first.receipt?.dataKeysDestroyed.map((key) => key.id)).toEqual([firstKey]);

    // Which items survived: the counts and bytes here, and the second purge's receipt digest below, over exactly `after`'s ids.
    expect(await userKeys()).toHaveLength(3);
    const history = await adminRequest(api, 'get', `/admin/v1/users/${user.id}/history`, tenant.apiKey).expect(200);
    expect(history.body).toEqual({ userId: user.id, messages: { count: 3 }, files: { count: 3, bytes: after.bytes } });
    // Readable: the new key survived the purge, and so did the bytes.
    expect((await dataKeys.key(user.id, secondKey)).id).toBe(secondKey);
    for (const key of await userKeys()) {
      expect((await api.get(BlobStorage).read(`${tenant.organizationId}/${user.id}/${key}`)).length).toBeGreaterThan(0);
    }

    // Deactivated again: a second purge takes exactly what was added since.
    await scim.patch(`/Users/${user.id}`, patchOp({ op: 'replace', value: { active: false } })).expect(200);
    const purges = await adminRequest(api, 'get', `/admin/v1/purges?userId=${user.id}`, tenant.apiKey).expect(200);
    expect(purges.body.total).toBe(2);
    const secondPurgeId = (purges.body.items as { id: string }[]).find((purge) => purge.id !== firstPurgeId)!.id;
    const second = await waitForPurge(api, tenant.apiKey, secondPurgeId);
    expect(second.receipt).toMatchObject({
      filesDeleted: 3,
      messagesDeleted: 3,
      bytesDeleted: after.bytes,
      digest: expectedReceiptDigest(after.fileIds, after.messageIds),
      dataKeysDestroyed: [{ id: secondKey, destroyedAt: expect.any(String) }],
    });
    expect(await userKeys()).toEqual([]);
    await expect(dataKeys.key(user.id, secondKey)).rejects.toThrow();
    expect((await getPurge(api, tenant.apiKey, firstPurgeId)).receipt?.filesDeleted).toBe(6);
  });
});
