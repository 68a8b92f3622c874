import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Settings } from '../../../src/config/settings';
import { Database } from '../../../src/database/database';
import { isUniqueViolation } from '../../../src/database/database-error';
import { OrganizationHosts } from '../../../src/organizations/organization-hosts';
import { OrganizationsRepository } from '../../../src/organizations/organizations.repository';
import { SessionsRepository } from '../../../src/sessions/sessions.repository';
import { SessionsService } from '../../../src/sessions/sessions.service';
import { AssertionIdsRepository } from '../../../src/sso/assertion-ids.repository';
import { SamlRequestsRepository } from '../../../src/sso/saml-requests.repository';
import { SsoConfigurationRepository } from '../../../src/sso/sso-configuration.repository';
import { UserDirectory } from '../../../src/users/user-directory';
import { UsersRepository } from '../../../src/users/users.repository';
import { IntegrationDatabase, openIntegrationDatabase } from '../support/integration-database';

const HOUR = 3600_000;
const settings = { sessions: { absoluteTimeoutMs: 8 * HOUR, idleTimeoutMs: HOUR / 2 } } as Settings;

/** The SSO and session repositories on the real databases: every statement they declare runs here. */
describe('single sign-on and session data', () => {
  let opened: IntegrationDatabase;
  let database: Database;
  let sessions: SessionsService;
  const organizationId = randomUUID();
  const otherOrganizationId = randomUUID();
  const userId = randomUUID();
  const deletedUserId = randomUUID();

  beforeAll(async () => {
    // As the app runs it until every writer goes through Database (the deactivation still opens TypeORM transactions).
    opened = await openIntegrationDatabase({ guardSqliteWrites: false });
    database = opened.database;
    sessions = new SessionsService(new SessionsRepository(database), settings);
    const now = new Date().toISOString().replace('T', ' ').slice(0, 19);
    for (const [id, hostname] of [
      [organizationId, 'acme.localhost'],
      [otherOrganizationId, 'globex.localhost'],
    ]) {
      await opened.dataSource.query('INSERT INTO organizations (id, name, hostname, created_at, updated_at) VALUES (?, ?, ?, ?, ?)', [
        id,
        `Org ${hostname}`,
        hostname,
        now,
        now,
      ]);
    }
    const insertUser =
      'INSERT INTO users (id, organization_id, user_name, user_name_normalized, email, email_folded, given_name, family_name, active, role, created_at, updated_at, version, deleted_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1, ?)';
    await opened.dataSource.query(insertUser, [
      userId,
      organizationId,
      'Grace@Acme.test',
      'grace@acme.test',
      'grace@acme.test',
      'grace@acme.test',
      'Grace',
      'Hopper',
      1,
      'user',
      now,
      now,
      null,
    ]);
    await opened.dataSource.query(insertUser, [
      deletedUserId,
      organizationId,
      'Gone@Acme.test',
      `#DELETED:${deletedUserId}`,
      'gone@acme.test',
      'gone@acme.test',
      null,
      null,
      0,
      'user',
      now,
      now,
      now,
    ]);
  });

  afterAll(async () => {
    await opened.close();
  });

  it('OrganizationHosts: by hostname without case or a final dot, and by id', async () => {
    const hosts = new OrganizationHosts(new OrganizationsRepository(database));
    expect(await hosts.findByHostname('ACME.localhost.')).toMatchObject({ id: organizationId, hostname: 'acme.localhost' });
    expect(await hosts.findByHostname('nobody.localhost')).toBeNull();
    expect(await hosts.findByHostname(undefined)).toBeNull();
    expect(await hosts.findById(otherOrganizationId)).toMatchObject({ hostname: 'globex.localhost' });
  });

  it('UserDirectory: a userName as SCIM compares it, inside one organization; deleted users found as such', async () => {
    const users = new UserDirectory(new UsersRepository(database));
    expect(await users.findByUserName(organizationId, ' GRACE@acme.TEST ')).toMatchObject({
      id: userId,
      active: true,
      deleted: false,
      role: 'user',
      givenName: 'Grace',
    });
    expect(await users.findByUserName(otherOrganizationId, 'grace@acme.test')).toBeNull();
    const locked = await database.transaction(() => users.findByUserName(organizationId, 'grace@acme.test', { lockShared: true }));
    expect(locked?.id).toBe(userId);
    expect(await users.findByUserName(organizationId, 'gone@acme.test')).toBeNull();
    expect(await users.wasDeleted(organizationId, 'GONE@acme.test')).toBe(true);
    expect(await users.wasDeleted(otherOrganizationId, 'gone@acme.test')).toBe(false);
    expect(await users.findById(organizationId, deletedUserId)).toMatchObject({ deleted: true, active: false });
    expect(await users.findById(otherOrganizationId, userId)).toBeNull();
  });

  it('sessions: open, found by token, touched, revoked; a revocation joins the transaction it runs in', async () => {
    const { token, session } = await sessions.open({ organizationId, userId, loginFlow: 'sp_initiated' });
    expect(await sessions.findOpen(token)).toMatchObject({
      id: session.id,
      userId,
      organizationId,
      loginFlow: 'sp_initiated',
      revokedAt: null,
    });
    // Another token of the same form: its last character differs (one in 16 tokens ends in A already).
    expect(await sessions.findOpen(`${token.slice(0, -1)}${token.endsWith('A') ? 'E' : 'A'}`)).toBeNull();
    const later = new Date(Date.now() + 5 * 60_000);
    await sessions.touch(session, later);
    expect((await sessions.findOpen(token, later))?.lastSeenAt.getTime()).toBeGreaterThanOrEqual(later.getTime() - 1000);
    await expect(
      database.transaction(async () => {
        expect(await sessions.revokeAllOfUser(userId)).toBe(1);
        throw new Error('rolled back');
      }),
    ).rejects.toThrow('rolled back');
    expect(await sessions.findOpen(token)).not.toBeNull();
    expect(await database.transaction(() => sessions.revokeAllOfUser(userId))).toBe(1);
    expect(await sessions.findOpen(token)).toBeNull();
    expect(await sessions.revoke(session.id, 'logout')).toBe(false);
  });

  it('sessions: idle and absolute lifetimes', async () => {
    const { token } = await sessions.open({ organizationId, userId, loginFlow: 'idp_initiated' });
    expect(await sessions.findOpen(token, new Date(Date.now() + 29 * 60_000))).not.toBeNull();
    expect(await sessions.findOpen(token, new Date(Date.now() + 31 * 60_000))).toBeNull();
    const opened = await sessions.open({ organizationId, userId, loginFlow: 'idp_initiated' }, new Date(Date.now() - 8 * HOUR - 1000));
    expect(await sessions.findOpen(opened.token, new Date(opened.session.lastSeenAt.getTime() + 60_000))).not.toBeNull();
    expect(await sessions.findOpen(opened.token)).toBeNull();
  });

  it("sessions: a revocation joins the caller's transaction (the deactivation), and rolls back with it", async () => {
    const { token } = await sessions.open({ organizationId, userId, loginFlow: 'sp_initiated' });
    await expect(
      database.transaction(async () => {
        await sessions.revokeAllOfUser(userId);
        throw new Error('deactivation failed');
      }),
    ).rejects.toThrow('deactivation failed');
    expect(await sessions.findOpen(token)).not.toBeNull();
    await database.transaction(() => sessions.revokeAllOfUser(userId));
    expect(await sessions.findOpen(token)).toBeNull();
  });

  it("sessions: an organization's end together; ended ones are swept a day after expiry", async () => {
    const { token, session } = await sessions.open({ organizationId, userId, loginFlow: 'sp_initiated' });
    expect(await sessions.revokeAllOfOrganization(otherOrganizationId, 'sso_disabled')).toBe(0);
    expect(await sessions.revokeAllOfOrganization(organizationId, 'sso_disabled')).toBeGreaterThanOrEqual(1);
    expect(await sessions.findOpen(token)).toBeNull();
    expect(await sessions.sweep(new Date(session.expiresAt.getTime() + 25 * HOUR), 2)).toBeGreaterThanOrEqual(3);
    expect(await sessions.sweep(new Date(session.expiresAt.getTime() + 25 * HOUR))).toBe(0);
  });

  it('sso_configurations: one row per organization, configured, enabled, disabled; shared lock in a transaction', async () => {
    const configurations = new SsoConfigurationRepository(database);
    const now = new Date();
    await configurations.insertKeyPair(organizationId, 'v1:ciphertext', 'CERT', now);
    await expect(configurations.insertKeyPair(organizationId, 'v1:other', 'CERT2', now)).rejects.toSatisfy(isUniqueViolation);
    expect(await configurations.isEnabled(organizationId)).toBe(false);
    expect(
      await configurations.configure(
        organizationId,
        { entityId: 'idp', ssoUrl: 'https://idp.example.com/sso', certificatePem: 'PEM', allowIdpInitiated: false },
        now,
      ),
    ).toBe(true);
    expect(await configurations.isEnabled(organizationId)).toBe(true);
    const locked = await database.transaction(() => configurations.find(organizationId, { lockShared: true }));
    expect(locked).toMatchObject({ enabled: true, idpEntityId: 'idp', allowIdpInitiated: false, spPrivateKeyCiphertext: 'v1:ciphertext' });
    await configurations.disable(organizationId, now);
    expect(await configurations.find(organizationId)).toMatchObject({
      enabled: false,
      idpEntityId: null,
      idpCertificate: null,
      spCertificate: 'CERT',
    });
    expect(await configurations.isEnabled(otherOrganizationId)).toBe(false);
  });

  it('sso_requests: taken once, by their organization only, while kept; expired ones swept', async () => {
    const requests = new SamlRequestsRepository(database);
    const expiresAt = new Date(Date.now() + 600_000);
    await requests.insert({ id: '_r1', organizationId, relayStateHash: 'h', returnTo: '/x', expiresAt });
    expect(await requests.take('_r1', otherOrganizationId)).toBeNull();
    const taken = await Promise.all([requests.take('_r1', organizationId), requests.take('_r1', organizationId)]);
    expect(taken.filter((request) => request !== null)).toHaveLength(1);
    expect(taken.find((request) => request !== null)).toMatchObject({ returnTo: '/x', relayStateHash: 'h' });
    await requests.insert({ id: '_r2', organizationId, relayStateHash: 'h', returnTo: '/', expiresAt });
    expect(await requests.deleteExpired(new Date(), 10)).toBe(0);
    expect(await requests.deleteExpired(new Date(expiresAt.getTime() + 1000), 10)).toBe(1);
  });

  it('saml_assertion_ids: each id once per organization; expired ones swept in batches', async () => {
    const ids = new AssertionIdsRepository(database);
    const until = new Date(Date.now() + 600_000);
    expect(await ids.insertIfAbsent(organizationId, 'a'.repeat(64), until)).toBe(true);
    expect(await ids.insertIfAbsent(organizationId, 'a'.repeat(64), until)).toBe(false);
    expect(await ids.insertIfAbsent(otherOrganizationId, 'a'.repeat(64), until)).toBe(true);
    expect(await ids.deleteExpired(new Date(until.getTime() + 1000), 1)).toBe(1);
    expect(await ids.deleteExpired(new Date(until.getTime() + 1000), 10)).toBe(1);
  });
});
