import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Database } from '../../../src/database/database';
import { isUniqueViolation } from '../../../src/database/database-error';
import { parseUserFilter } from '../../../src/scim/filter';
import { normalizeUserName } from '../../../src/users/caseless-text';
import { UserRecord, UsersRepository } from '../../../src/users/users.repository';
import { IntegrationDatabase, openIntegrationDatabase } from '../support/integration-database';
import { createOrganization } from './support/users-fixtures';

function newUser(organizationId: string, userName: string, overrides: Partial<UserRecord> = {}): UserRecord {
  const at = overrides.createdAt ?? new Date();
  return {
    id: randomUUID(),
    organizationId,
    userName,
    userNameNormalized: normalizeUserName(userName),
    email: userName,
    emailFolded: userName.toLowerCase(),
    givenName: 'Given',
    givenNameFolded: 'given',
    familyName: 'Family',
    familyNameFolded: 'family',
    externalId: null,
    active: true,
    role: 'user',
    createdAt: at,
    updatedAt: at,
    version: 1,
    deletedAt: null,
    ...overrides,
  };
}

/** UsersRepository on the real databases, with the SQLite write guard on: every statement it declares runs here. */
describe('users data', () => {
  let opened: IntegrationDatabase;
  let database: Database;
  let users: UsersRepository;
  let organizationId: string;
  let otherOrganizationId: string;

  beforeAll(async () => {
    opened = await openIntegrationDatabase({ sqliteFile: 'users-data.sqlite' });
    database = opened.database;
    users = new UsersRepository(database);
    organizationId = await createOrganization(database);
    otherOrganizationId = await createOrganization(database);
  });

  afterAll(async () => {
    await opened.close();
  });

  it('stores a user as given and reads it back field for field; a taken userName key is a unique violation', async () => {
    const user = newUser(organizationId, 'Ada@Example.com', { externalId: 'ext-ada', createdAt: new Date('2026-01-02T03:04:05.678Z') });
    await users.insert(user);
    expect(await users.findVisible(organizationId, user.id)).toEqual(user);
    expect(await users.findVisible(otherOrganizationId, user.id)).toBeNull();
    expect(await users.findVisibleByUserNameKey(organizationId, normalizeUserName(' ADA@example.COM '))).toEqual(user);

    const duplicate = newUser(organizationId, 'ada@example.com');
    const error = await users.insert(duplicate).catch((caught: unknown) => caught);
    expect(isUniqueViolation(error)).toBe(true);
    expect(await users.findVisible(organizationId, duplicate.id)).toBeNull();
    // The same userName in another organization is another user.
    await users.insert(newUser(otherOrganizationId, 'ada@example.com'));
  });

  it('writes a profile change only at the version read, once', async () => {
    const user = newUser(organizationId, 'grace@example.com');
    await users.insert(user);
    const change = {
      active: true,
      givenName: 'Grace',
      givenNameFolded: 'grace',
      familyName: 'Hopper',
      familyNameFolded: 'hopper',
      externalId: 'g1',
      updatedAt: new Date(),
    };
    const [first, second] = await Promise.all([
      users.updateProfile(user.id, 1, change),
      users.updateProfile(user.id, 1, { ...change, givenName: 'Other' }),
    ]);
    expect([first, second].filter(Boolean)).toHaveLength(1);
    const stored = await users.findVisible(organizationId, user.id);
    expect(stored).toMatchObject({ version: 2, externalId: 'g1', familyName: 'Hopper' });
    expect(await users.updateProfile(user.id, 1, change)).toBe(false);
  });

  it('hides a user only at the version and active state read, freeing the userName; hidden users are invisible', async () => {
    const user = newUser(organizationId, 'hidden@example.com');
    await users.insert(user);
    expect(await users.hide({ id: user.id, version: 1, active: false }, `#DELETED:${user.id}`, new Date())).toBe(false);
    expect(await users.hide({ id: user.id, version: 2, active: true }, `#DELETED:${user.id}`, new Date())).toBe(false);
    expect(await users.hide(user, `#DELETED:${user.id}`, new Date())).toBe(true);
    expect(await users.hide(user, `#DELETED:${user.id}`, new Date())).toBe(false);
    expect(await users.findVisible(organizationId, user.id)).toBeNull();
    expect(await users.findById(organizationId, user.id)).toMatchObject({
      active: false,
      givenName: null,
      deletedAt: expect.any(Date),
      version: 2,
    });
    expect(await users.findByUserNameKey(organizationId, normalizeUserName('hidden@example.com'), false)).toBeNull();
    expect((await users.deletedCandidates(organizationId, 'hidden@example.com', 'hidden@example.com')).map((found) => found.id)).toEqual([
      user.id,
    ]);
    // The userName is free again.
    await users.insert(newUser(organizationId, 'hidden@example.com'));
  });

  it('changes a role only from the role read; counts active administrators and users; locks the organization inside a transaction', async () => {
    const organization = await createOrganization(database);
    const admin = newUser(organization, 'admin@example.com', { role: 'admin' });
    const inactiveAdmin = newUser(organization, 'old-admin@example.com', { role: 'admin', active: false });
    const user = newUser(organization, 'user@example.com');
    for (const each of [admin, inactiveAdmin, user]) {
      await users.insert(each);
    }
    expect(await users.countActiveAdministrators(organization)).toBe(1);
    expect(await users.counts(organization)).toEqual({ total: 3, active: 2, administrators: 1 });
    expect(await users.counts(randomUUID())).toEqual({ total: 0, active: 0, administrators: 0 });
    await database.transaction(async () => {
      await users.lockOrganization(organization);
      expect(await users.setRole(user.id, 'admin', 'user', new Date())).toBe(false);
      expect(await users.setRole(user.id, 'user', 'admin', new Date())).toBe(true);
    });
    expect(await users.countActiveAdministrators(organization)).toBe(2);
    expect(await users.findVisible(organization, user.id)).toMatchObject({ role: 'admin', version: 2 });
    await expect(users.lockOrganization(organization)).rejects.toThrow(/locking read/);
  });

  it('lists for the admin newest first, by state and userName prefix (wildcards taken literally)', async () => {
    const organization = await createOrganization(database);
    const base = Date.UTC(2026, 0, 1);
    const seeded = [
      newUser(organization, 'alpha@example.com', { createdAt: new Date(base) }),
      newUser(organization, 'al_pha@example.com', { createdAt: new Date(base + 1000), active: false }),
      newUser(organization, 'beta@example.com', { createdAt: new Date(base + 2000) }),
    ];
    for (const each of seeded) {
      await users.insert(each);
    }
    const names = (page: { users: UserRecord[] }): string[] => page.users.map((each) => each.userName);
    expect(names(await users.adminPage(organization, {}, 0, 10))).toEqual(['beta@example.com', 'al_pha@example.com', 'alpha@example.com']);
    expect(await users.adminPage(organization, {}, 1, 1)).toMatchObject({ total: 3, users: [{ userName: 'al_pha@example.com' }] });
    expect(names(await users.adminPage(organization, { active: true }, 0, 10))).toEqual(['beta@example.com', 'alpha@example.com']);
    expect(names(await users.adminPage(organization, { userNamePrefix: 'al_' }, 0, 10))).toEqual(['al_pha@example.com']);
    expect(await users.adminPage(organization, { active: true, userNamePrefix: 'al' }, 0, 10)).toMatchObject({
      total: 1,
      users: [{ userName: 'alpha@example.com' }],
    });
  });

  it('searches by a typed filter in creation order, counting only when the page is full', async () => {
    const organization = await createOrganization(database);
    const base = Date.UTC(2026, 1, 1);
    for (let index = 0; index < 5; index += 1) {
      await users.insert(
        newUser(organization, `user${index}@example.com`, { createdAt: new Date(base + index * 1000), active: index % 2 === 0 }),
      );
    }
    const all = await users.search(organization, null, 0, 10);
    expect(all).toMatchObject({ total: 5 });
    expect(all.users.map((each) => each.userName)).toEqual([0, 1, 2, 3, 4].map((index) => `user${index}@example.com`));
    const active = await users.search(organization, parseUserFilter('active eq true'), 1, 1);
    expect(active).toMatchObject({ total: 3, users: [{ userName: 'user2@example.com' }] });
    expect(await users.search(organization, parseUserFilter('userName eq "USER3@example.com"'), 0, 0)).toEqual({ users: [], total: 1 });
    // With a time limit (a setting; MySQL/MariaDB enforce it, SQLite has none) the answer is the same.
    expect(await users.search(organization, parseUserFilter('userName sw "user"'), 0, 2, 60_000)).toMatchObject({ total: 5 });
  });
});
