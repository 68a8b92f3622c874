import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { Database } from '../../../src/database/database';
import { statement } from '../../../src/database/statement';
import { DEFAULT_PURGE_POLICY } from '../../../src/retention/safeguards/purge-policy';
import { UserRecord } from '../../../src/users/users.repository';
import { IntegrationDatabase, openIntegrationDatabase } from '../support/integration-database';
import { addHistory, createOrganization, openSession, usersDomain, UsersDomain } from './support/users-fixtures';

const PURGES_OF_USER = statement<{
  id: string;
  state: string;
  message_cutoff_id: unknown;
  file_cutoff_id: unknown;
  messages_total: unknown;
  files_total: unknown;
  merged_into_id: string | null;
}>(
  'test.users.purgesOfUser',
  // Two deactivations can record their purges within one clock tick: one merged into another was recorded first.
  'SELECT id, state, message_cutoff_id, file_cutoff_id, messages_total, files_total, merged_into_id FROM purges WHERE user_id = ? ORDER BY requested_at, merged_into_id IS NULL, id',
);
const OPEN_SESSIONS_OF_USER = statement<{ total: unknown }>(
  'test.users.openSessionsOfUser',
  'SELECT COUNT(*) AS total FROM sessions WHERE user_id = ? AND revoked_at IS NULL',
);
const KEYS_OF_USER = statement<{ id: string; revoked_at: unknown; credential_revoked_at: unknown }>(
  'test.users.keysOfUser',
  'SELECT k.id, k.revoked_at, c.revoked_at AS credential_revoked_at FROM api_keys k LEFT JOIN scim_credentials c ON c.api_key_id = k.id WHERE k.owner_user_id = ? ORDER BY k.id',
);

/**
 * Deactivation, SCIM DELETE and role changes as services on the real databases (SQLite write guard
 * on): one transaction each, conditional on the version read, reaching keys, credentials, sessions,
 * the audit trail and the purge record, with work after commit only once committed.
 */
describe('deactivation and role changes', () => {
  let opened: IntegrationDatabase;
  let database: Database;
  let domain: UsersDomain;
  let organizationId: string;
  let admin: UserRecord;

  beforeAll(async () => {
    opened = await openIntegrationDatabase({ sqliteFile: 'users-deactivation.sqlite' });
    database = opened.database;
    domain = usersDomain(database);
    organizationId = await createOrganization(database);
    admin = await domain.usersService.createAdministrator(organizationId, {
      email: 'root@example.com',
      givenName: 'Root',
      familyName: 'Admin',
    });
  });

  afterAll(async () => {
    await opened.close();
  });

  const context = { sourceAddress: '192.0.2.1', requestId: 'req-1' };
  const actor = (): { organizationId: string; userId: string; apiKeyId: null } => ({ organizationId, userId: admin.id, apiKeyId: null });

  /** An administrator with two keys (one with a SCIM credential), a session, and history. */
  async function provisionedAdministrator(email: string): Promise<UserRecord> {
    const user = await domain.provisioning.create(organizationId, {
      userName: email,
      givenName: 'Ann',
      familyName: 'Lee',
      email,
      externalId: null,
      active: true,
    });
    await domain.usersService.setAdministrator({ organizationId, userId: admin.id, apiKeyId: null }, user.id, true, context);
    const first = await domain.apiKeys.create({ organizationId, userId: user.id, apiKeyId: null }, 'first', context);
    await domain.apiKeys.create({ organizationId, userId: user.id, apiKeyId: null }, 'second', context);
    await domain.apiKeys.issueScimCredential(actor(), first.apiKey.id, context);
    await openSession(database, organizationId, user.id);
    await addHistory(database, organizationId, user.id, 3, 2);
    return user;
  }

  async function keysOf(userId: string): Promise<{ revoked: boolean; credentialRevoked: boolean | null }[]> {
    return (await database.rows(KEYS_OF_USER, [userId])).map((row) => ({
      revoked: row.revoked_at !== null,
      credentialRevoked: row.credential_revoked_at === undefined ? null : row.credential_revoked_at !== null,
    }));
  }

  it('deactivation revokes keys and credentials, ends sessions, audits each key and records the purge, dispatched after commit', async () => {
    const user = await provisionedAdministrator('ann@example.com');
    const invalidationsBefore = domain.invalidations.count;
    const updated = await domain.provisioning.update(organizationId, user.id, { active: false });
    expect(updated).toMatchObject({ active: false, givenName: null, familyName: null, version: user.version + 2 });

    expect((await keysOf(user.id)).every((key) => key.revoked)).toBe(true);
    expect((await keysOf(user.id)).filter((key) => key.credentialRevoked === true)).toHaveLength(1);
    expect(Number((await database.first(OPEN_SESSIONS_OF_USER, [user.id]))?.total)).toBe(0);
    const { items } = await domain.audit.list(organizationId, 50, 0);
    expect(items.filter((event) => event.type === 'api_key.revoked' && event.detail === 'owner_deactivated')).toHaveLength(2);
    const [purge] = await database.rows(PURGES_OF_USER, [user.id]);
    expect(purge).toMatchObject({ state: 'pending' });
    expect([purge.messages_total, purge.files_total].map(Number)).toEqual([3, 2]);
    expect(Number(purge.message_cutoff_id)).toBeGreaterThan(0);
    expect(domain.dispatched).toContain(purge.id);
    expect(domain.invalidations.count).toBeGreaterThan(invalidationsBefore);
    // The credential no longer authenticates.
    expect(await domain.apiKeys.findSigningKey('ak_unknown')).toBeNull();
  });

  it('a failure inside the deactivation rolls back everything it did, and nothing is dispatched', async () => {
    const user = await provisionedAdministrator('rollback@example.com');
    const dispatchedBefore = domain.dispatched.length;
    const failing = vi.spyOn(domain.purges, 'insert').mockRejectedValueOnce(new Error('disk full'));
    await expect(domain.provisioning.update(organizationId, user.id, { active: false })).rejects.toThrow('disk full');
    failing.mockRestore();
    expect(await domain.users.findVisible(organizationId, user.id)).toMatchObject({ active: true, version: user.version + 1 });
    expect((await keysOf(user.id)).some((key) => key.revoked)).toBe(false);
    expect(Number((await database.first(OPEN_SESSIONS_OF_USER, [user.id]))?.total)).toBe(1);
    expect(await database.rows(PURGES_OF_USER, [user.id])).toEqual([]);
    expect(domain.dispatched).toHaveLength(dispatchedBefore);
  });

  it('a concurrent change between read and write is re-read and re-applied; with If-Match it is refused', async () => {
    const user = await domain.provisioning.create(organizationId, {
      userName: 'race@example.com',
      givenName: 'R',
      familyName: 'A',
      email: null,
      externalId: null,
      active: true,
    });
    const write = domain.users.updateProfile.bind(domain.users);
    // The first write finds the row changed by someone else (as a concurrent PUT would).
    const spy = vi.spyOn(domain.users, 'updateProfile').mockImplementationOnce(async (id, version, change) => {
      await write(id, version, { ...change, givenName: 'Concurrent', givenNameFolded: 'concurrent', active: true });
      return write(id, version, change);
    });
    const updated = await domain.provisioning.update(organizationId, user.id, { active: false });
    spy.mockRestore();
    expect(updated).toMatchObject({ active: false, version: 3 });
    expect(await database.rows(PURGES_OF_USER, [user.id])).toHaveLength(1);

    await expect(domain.provisioning.update(organizationId, user.id, { active: true }, 1)).rejects.toMatchObject({
      code: 'precondition_failed',
    });
  });

  it('SCIM DELETE of an active user hides it and records the purge; of an inactive user records none; a second DELETE is 404', async () => {
    const active = await provisionedAdministrator('delete@example.com');
    await domain.provisioning.remove(organizationId, active.id);
    expect(await domain.users.findVisible(organizationId, active.id)).toBeNull();
    expect((await keysOf(active.id)).every((key) => key.revoked)).toBe(true);
    expect(await database.rows(PURGES_OF_USER, [active.id])).toHaveLength(1);
    await expect(domain.provisioning.remove(organizationId, active.id)).rejects.toMatchObject({ code: 'not_found' });

    const inactive = await domain.provisioning.create(organizationId, {
      userName: 'gone@example.com',
      givenName: null,
      familyName: null,
      email: null,
      externalId: null,
      active: false,
    });
    await domain.provisioning.remove(organizationId, inactive.id);
    expect(await database.rows(PURGES_OF_USER, [inactive.id])).toEqual([]);
  });

  it('a second deactivation takes over the purge still open: the earlier one ends merged into the later', async () => {
    const user = await provisionedAdministrator('twice@example.com');
    await domain.provisioning.update(organizationId, user.id, { active: false });
    await domain.provisioning.update(organizationId, user.id, { active: true, givenName: 'Back' });
    await addHistory(database, organizationId, user.id, 1, 0);
    await domain.provisioning.update(organizationId, user.id, { active: false });
    const [earlier, later] = await database.rows(PURGES_OF_USER, [user.id]);
    expect(earlier).toMatchObject({ state: 'merged', merged_into_id: later.id });
    expect(later).toMatchObject({ state: 'pending' });
    expect(Number(later.messages_total)).toBe(4);
    // A third one takes over the second, and what was merged into it follows.
    await domain.provisioning.update(organizationId, user.id, { active: true });
    await domain.provisioning.update(organizationId, user.id, { active: false });
    const rows = await database.rows(PURGES_OF_USER, [user.id]);
    expect(rows.map((row) => row.state)).toEqual(['merged', 'merged', 'pending']);
    expect(rows.slice(0, 2).map((row) => row.merged_into_id)).toEqual([rows[2].id, rows[2].id]);
  });

  it('the purge can only be recorded inside a transaction', async () => {
    // A lock as lockForDeactivation returns it; outside a transaction none can be held, and record refuses first.
    const lock = { organizationId, policy: DEFAULT_PURGE_POLICY };
    await expect(domain.scheduler.record({ id: admin.id, organizationId, userName: admin.userName }, lock)).rejects.toThrow(
      /inside the deactivation/,
    );
  });

  it('demotion revokes the keys with audit; the last active administrator stays; a grant joins an outer transaction', async () => {
    const deputy = await provisionedAdministrator('deputy@example.com');
    const demoted = await domain.usersService.setAdministrator(actor(), deputy.id, false, context);
    expect(demoted.role).toBe('user');
    expect((await keysOf(deputy.id)).every((key) => key.revoked)).toBe(true);
    const { items } = await domain.audit.list(organizationId, 100, 0);
    expect(items.filter((event) => event.detail === 'owner_demoted' && event.actorUserId === admin.id)).toHaveLength(2);
    expect(items.find((event) => event.type === 'admin.revoked' && event.targetId === deputy.id)).toMatchObject({
      sourceAddress: '192.0.2.1',
      requestId: 'req-1',
    });

    const lone = await createOrganization(database);
    const only = await domain.usersService.createAdministrator(lone, { email: 'only@example.com', givenName: 'O', familyName: 'Nly' });
    await expect(
      domain.usersService.setAdministrator({ organizationId: lone, userId: only.id, apiKeyId: null }, only.id, false, context),
    ).rejects.toMatchObject({
      code: 'last_administrator',
    });
    expect(await domain.usersService.counts(lone)).toEqual({ total: 1, active: 1, inactive: 0, administrators: 1 });

    // Inside a caller's transaction that then fails, the grant is undone with it.
    await expect(
      database.transaction(async () => {
        await domain.usersService.setAdministrator(actor(), deputy.id, true, context);
        throw new Error('caller failed');
      }),
    ).rejects.toThrow('caller failed');
    expect(await domain.usersService.findForAdmin(organizationId, deputy.id)).toMatchObject({ role: 'user' });
  });

  it('two concurrent demotions of the only two administrators: exactly one succeeds', async () => {
    const organization = await createOrganization(database);
    const first = await domain.usersService.createAdministrator(organization, {
      email: 'a@two.example',
      givenName: 'A',
      familyName: 'One',
    });
    const second = await domain.usersService.createAdministrator(organization, {
      email: 'b@two.example',
      givenName: 'B',
      familyName: 'Two',
    });
    const by = { organizationId: organization, userId: null, apiKeyId: null };
    const outcomes = await Promise.allSettled([
      domain.usersService.setAdministrator(by, first.id, false, context),
      domain.usersService.setAdministrator(by, second.id, false, context),
    ]);
    expect(outcomes.filter((outcome) => outcome.status === 'fulfilled')).toHaveLength(1);
    expect(await domain.usersService.counts(organization)).toMatchObject({ administrators: 1 });
  });
});
