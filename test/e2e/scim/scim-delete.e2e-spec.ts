import { INestApplication } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { PurgeScheduler } from '../../../src/retention/purge-scheduler';
import { adminRequest, scimGet } from '../../support/admin-api';
import { purgeIdsOfUser } from '../../support/api-reads';
import { storedKeys } from '../../support/e2e-storage';
import { expectedReceiptDigest, fileContent, seedHistory, uploadRequest, waitForPurge } from '../../support/purge-fixtures';
import { okta, oktaUser, patchOp, scimTenant, ScimTenant } from '../../support/scim-client';
import { createTestApp } from '../../support/test-app';

// Response bodies are checked field by field; their shape is what the tests assert.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type ScimUserBody = Record<string, any>;
type UserState = { active: number | boolean; deleted_at: unknown };

const RACED_USERS = 12;
const REACTIVATIONS_PER_USER = 12;
const UPLOADS_PER_USER = 6;

/** SCIM DELETE is one transaction, conditional on the state it read (issue 11, item 2). */
describe('SCIM DELETE', () => {
  let app: INestApplication;
  let tenant: ScimTenant;
  let scim: ReturnType<typeof okta>;
  let dataSource: DataSource;

  beforeAll(async () => {
    app = await createTestApp();
    dataSource = app.get(DataSource);
    tenant = await scimTenant(app, 'delete');
    scim = okta(app, tenant);
  });

  afterAll(async () => {
    await app.close();
  });

  async function create(userName: string): Promise<ScimUserBody> {
    return (await scim.post('/Users', oktaUser(userName, 'Del', 'Ete')).expect(201)).body as ScimUserBody;
  }

  /** Oldest first. */
  async function purgeIdsOf(userId: string): Promise<string[]> {
    return (await purgeIdsOfUser(app, tenant.apiKey, userId)).reverse();
  }

  // A deleted user is hidden from every API (SCIM and admin answer 404): whether its rows and its
  // active flag are left behind is database state that only the database shows.
  async function itemsOf(userId: string): Promise<{ files: number; messages: number }> {
    const [files] = await dataSource.query<{ n: number | string }[]>('SELECT COUNT(*) AS n FROM files WHERE user_id = ?', [userId]);
    const [messages] = await dataSource.query<{ n: number | string }[]>('SELECT COUNT(*) AS n FROM messages WHERE user_id = ?', [userId]);
    return { files: Number(files?.n), messages: Number(messages?.n) };
  }

  async function stateOf(userId: string): Promise<UserState> {
    const [row] = await dataSource.query<UserState[]>('SELECT active, deleted_at FROM users WHERE id = ?', [userId]);
    return row;
  }

  async function completeEveryPurge(): Promise<void> {
    const listed = (await adminRequest(app, 'get', '/admin/v1/purges?limit=200', tenant.apiKey).expect(200)).body as {
      items: { id: string }[];
      total: number;
    };
    expect(listed.items).toHaveLength(listed.total);
    for (const { id } of listed.items) {
      // A purge still open when its user was deactivated again ends merged into the later one, which is waited for too.
      await waitForPurge(app, tenant.apiKey, id, (purge) => purge.state === 'completed' || purge.state === 'merged');
    }
  }

  it('of an inactive user hides it without a second purge: its deactivation recorded one', async () => {
    const user = await create('inactive.delete@example.com');
    await scim.patch(`/Users/${user.id as string}`, patchOp({ op: 'replace', value: { active: false } })).expect(200);
    await scim.delete(`/Users/${user.id as string}`).expect(204);
    await scim.get(`/Users/${user.id as string}`).expect(404);
    expect(await purgeIdsOf(user.id as string)).toHaveLength(1);
    expect(Boolean(Number((await stateOf(user.id as string)).active))).toBe(false);
    await create('inactive.delete@example.com');
    // The freed key can never be a userName's, however odd the userName.
    await create(`#deleted:${user.id as string}`);
  });

  it('of a user reactivated since its first purge records a new purge, which takes what was added since', async () => {
    const user = await create('returning.delete@example.com');
    const id = user.id as string;
    const before = await seedHistory(app, tenant.apiKey, id, { files: 3, messages: 2 }, 'before');
    await scim.patch(`/Users/${id}`, patchOp({ op: 'replace', value: { active: false } })).expect(200);
    await scim.patch(`/Users/${id}`, patchOp({ op: 'replace', value: { active: true } })).expect(200);
    const after = await seedHistory(app, tenant.apiKey, id, { files: 2, messages: 2 }, 'after');

    await scim.delete(`/Users/${id}`).expect(204);
    const [first, second] = await purgeIdsOf(id);
    expect(second).toBeDefined();
    expect((await waitForPurge(app, tenant.apiKey, first)).receipt?.digest).toBe(expectedReceiptDigest(before.fileIds, before.messageIds));
    expect((await waitForPurge(app, tenant.apiKey, second)).receipt?.digest).toBe(expectedReceiptDigest(after.fileIds, after.messageIds));
    expect(await itemsOf(id)).toEqual({ files: 0, messages: 0 });
    expect(await storedKeys(app, tenant.organizationId, id)).toEqual([]);
  });

  it('with a stale If-Match is 412 and changes nothing', async () => {
    const user = await create('stale.delete@example.com');
    await scim
      .delete(`/Users/${user.id as string}`)
      .set('If-Match', 'W/"999"')
      .expect(412);
    expect((await scim.get(`/Users/${user.id as string}`).expect(200)).body).toEqual(user);
    expect(await purgeIdsOf(user.id as string)).toEqual([]);
  });

  it("of an administrator revokes the administrator's credentials in the same step", async () => {
    const org = await scimTenant(app, 'delete-admin');
    await okta(app, org).delete(`/Users/${org.adminId}`).expect(204);
    await scimGet(app, '/scim/v2/Users', org.credentials).expect(401);
    await adminRequest(app, 'get', '/admin/v1/organization', org.apiKey).expect(401);
  });

  it('never hides a user that a reactivation reached after the deactivation committed', async () => {
    const user = await create('between.delete@example.com');
    const id = user.id as string;
    const scheduler = app.get(PurgeScheduler);
    const dispatch = scheduler.dispatch.bind(scheduler);
    const between: number[] = [];
    // The first purge dispatch follows the deactivation's commit: a reactivation and an upload land there.
    vi.spyOn(scheduler, 'dispatch').mockImplementationOnce(async (purgeId) => {
      between.push((await scim.put(`/Users/${id}`, { ...user, active: true })).status);
      between.push((await uploadRequest(app, tenant.apiKey, id, 'between.bin', fileContent('between', 0))).status);
      return dispatch(purgeId);
    });
    try {
      await scim.delete(`/Users/${id}`).expect(204);
    } finally {
      vi.restoreAllMocks();
    }
    await completeEveryPurge();
    const state = await stateOf(id);
    expect({ hidden: state.deleted_at !== null, active: Boolean(Number(state.active)), ...(await itemsOf(id)) }).toEqual({
      hidden: true,
      active: false,
      files: 0,
      messages: 0,
    });
    expect(await storedKeys(app, tenant.organizationId, id)).toEqual([]);
    expect(between).toEqual([404, 404]);
  });

  it('racing PUT active:true and uploads: every user ends visible, or hidden, inactive and fully purged', async () => {
    const users: ScimUserBody[] = [];
    for (let i = 0; i < RACED_USERS; i += 1) {
      const user = await create(`race.${i}@delete.example.com`);
      await seedHistory(app, tenant.apiKey, user.id as string, { files: 1, messages: 1 }, `race-${i}`);
      // Half start deactivated: DELETE then takes the already-inactive path.
      if (i % 2 === 1) {
        await scim.patch(`/Users/${user.id as string}`, patchOp({ op: 'replace', value: { active: false } })).expect(200);
      }
      users.push(user);
    }

    const statuses: number[] = [];
    const record = async (pending: PromiseLike<{ status: number }>): Promise<void> => {
      statuses.push((await pending).status);
    };
    await Promise.all(
      users.flatMap((user, i) => {
        const id = user.id as string;
        const reactivate = async (): Promise<void> => {
          for (let n = 0; n < REACTIVATIONS_PER_USER; n += 1) {
            await record(scim.put(`/Users/${id}`, { ...user, active: true }));
          }
        };
        const upload = async (): Promise<void> => {
          for (let n = 0; n < UPLOADS_PER_USER; n += 1) {
            await record(uploadRequest(app, tenant.apiKey, id, `late-${n}.bin`, fileContent(`late-${i}`, n)));
            await record(
              adminRequest(app, 'post', `/admin/v1/users/${id}/messages`, tenant.apiKey, { subject: `late ${n}`, body: 'raced' }),
            );
          }
        };
        const remove = async (): Promise<void> => {
          await new Promise((resolve) => setTimeout(resolve, (i * 7) % 40));
          await record(scim.delete(`/Users/${id}`));
        };
        return [reactivate(), reactivate(), upload(), remove()];
      }),
    );
    // Racing requests may lose (404 once hidden, 409 while inactive, 412 after repeated conflicts), never fail.
    expect(statuses.filter((status) => ![200, 201, 204, 404, 409, 412].includes(status))).toEqual([]);

    await completeEveryPurge();
    let hidden = 0;
    for (const user of users) {
      const id = user.id as string;
      const state = await stateOf(id);
      if (state.deleted_at === null) {
        await scim.get(`/Users/${id}`).expect(200);
        continue;
      }
      hidden += 1;
      expect({
        id,
        active: Boolean(Number(state.active)),
        ...(await itemsOf(id)),
        bytes: await storedKeys(app, tenant.organizationId, id),
      }).toEqual({
        id,
        active: false,
        files: 0,
        messages: 0,
        bytes: [],
      });
    }
    expect(hidden).toBeGreaterThan(0);
  });
});
