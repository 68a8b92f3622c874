import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AdminPrincipal } from '../../../src/auth/principal';
import { DomainError } from '../../../src/common/domain-error';
import { Database } from '../../../src/database/database';
import { statement } from '../../../src/database/statement';
import { LegalHoldRepository } from '../../../src/retention/safeguards/legal-hold.repository';
import { LegalHoldsService } from '../../../src/retention/safeguards/legal-holds.service';
import { PurgePolicyRepository } from '../../../src/retention/safeguards/purge-policy.repository';
import { PurgeReleaseService } from '../../../src/retention/safeguards/purge-release.service';
import { UserLegalHoldsService } from '../../../src/users/user-legal-holds.service';
import { UserRecord, UsersRepository } from '../../../src/users/users.repository';
import { IntegrationDatabase, openIntegrationDatabase } from '../support/integration-database';
import { addHistory, createOrganization, usersDomain, UsersDomain } from '../users/support/users-fixtures';

const KEY_ROWS = statement<{ id: string }>('test.holds.keyRows', 'SELECT id FROM data_keys WHERE user_id = ? ORDER BY id');
const CONTEXT = { sourceAddress: '127.0.0.1', requestId: 'legal-holds-integration' };
const HOUR_S = 3600;

/**
 * Legal holds and releases of held purges through their services, on the real databases: what
 * each step leaves in the purge record, the hold table and the user's keys.
 */
describe('legal holds and releases of held purges', () => {
  let opened: IntegrationDatabase;
  let database: Database;
  let domain: UsersDomain;
  let policies: PurgePolicyRepository;
  let releases: PurgeReleaseService;
  let userHolds: UserLegalHoldsService;
  let organizationId: string;
  let admin: AdminPrincipal;
  let serial = 0;

  beforeAll(async () => {
    opened = await openIntegrationDatabase({ sqliteFile: 'legal-holds.sqlite' });
    database = opened.database;
    domain = usersDomain(database);
    policies = new PurgePolicyRepository(database);
    releases = new PurgeReleaseService(database, domain.purges, policies, domain.scheduler, domain.audit);
    const holds = new LegalHoldsService(database, new LegalHoldRepository(database), domain.purges, releases, domain.audit);
    userHolds = new UserLegalHoldsService(database, new UsersRepository(database), holds);
    organizationId = await createOrganization(database);
    await policies.ensureRow(organizationId);
    const administrator = await newUser();
    admin = { kind: 'admin', organizationId, userId: administrator.id, apiKeyId: null as unknown as string };
  });

  afterAll(async () => {
    await opened.close();
  });

  async function setPolicy(graceSeconds: number, threshold: number | null): Promise<void> {
    await policies.update(
      organizationId,
      { graceSeconds, massDeactivation: { enabled: threshold !== null, threshold: threshold ?? 25, windowSeconds: 600 } },
      admin?.userId ?? 'test',
      new Date(),
    );
  }

  async function newUser(): Promise<UserRecord> {
    serial += 1;
    const user = await domain.provisioning.create(organizationId, {
      userName: `hold-${serial}@example.com`,
      givenName: 'Hal',
      familyName: 'Hold',
      email: null,
      externalId: null,
      active: true,
    });
    await addHistory(database, organizationId, user.id, 1, 1);
    await domain.dataKeys.currentKey(user.id);
    return user;
  }

  async function deactivate(user: UserRecord) {
    await domain.provisioning.update(organizationId, user.id, { active: false });
    return (await domain.purges.latestForUser(organizationId, user.id))!;
  }

  it('a hold placed on an active user holds its later purge; a new reason replaces the old; lifting releases the purge', async () => {
    await setPolicy(0, null);
    const user = await newUser();
    expect((await userHolds.place(admin, user.id, 'Matter 1', CONTEXT)).hold).toMatchObject({ userId: user.id, reason: 'Matter 1' });
    expect((await userHolds.place(admin, user.id, 'Matter 2', CONTEXT)).hold?.reason).toBe('Matter 2');
    expect((await userHolds.get(organizationId, user.id)).hold?.reason).toBe('Matter 2');

    const purge = await deactivate(user);
    expect(purge).toMatchObject({ state: 'held', holdReason: 'legal_hold' });
    expect(await domain.purges.countHeld(organizationId, 'legal_hold')).toBe(1);
    expect((await domain.purges.countHeldByReason()).legal_hold).toBeGreaterThanOrEqual(1);
    expect(await database.rows(KEY_ROWS, [user.id])).toHaveLength(1);

    const lifted = await userHolds.lift(admin, user.id, CONTEXT);
    expect(lifted.hold).toBeNull();
    expect(lifted.purge).toMatchObject({ id: purge.id, state: 'pending' });
    expect(await domain.purges.countHeld(organizationId, 'legal_hold')).toBe(0);
    await expect(userHolds.lift(admin, user.id, CONTEXT)).rejects.toBeInstanceOf(DomainError);
  });

  it('a hold placed on a user whose purge waits out the grace period holds that purge for the legal hold', async () => {
    await setPolicy(HOUR_S, null);
    const user = await newUser();
    expect(await deactivate(user)).toMatchObject({ state: 'scheduled' });
    const placed = await userHolds.place(admin, user.id, 'Matter 3', CONTEXT);
    expect(placed.purge).toMatchObject({ state: 'held', holdReason: 'legal_hold', runAfter: null });
    // Lifting it releases the purge into the rest of its grace period.
    const lifted = await userHolds.lift(admin, user.id, CONTEXT);
    expect(lifted.purge?.state).toBe('scheduled');
    expect(lifted.purge?.runAfter?.getTime()).toBeGreaterThan(Date.now());
  });

  it('a hold cannot keep content whose keys a purge already destroyed: refused, nothing written', async () => {
    await setPolicy(0, null);
    const user = await newUser();
    expect(await deactivate(user)).toMatchObject({ state: 'pending' });
    await expect(userHolds.place(admin, user.id, 'Too late', CONTEXT)).rejects.toBeInstanceOf(DomainError);
    expect((await userHolds.get(organizationId, user.id)).hold).toBeNull();
  });

  it('purges held by the breaker: released one by one or all at once; a reactivation cancels one that still waits', async () => {
    await setPolicy(0, 1);
    const users = [await newUser(), await newUser(), await newUser(), await newUser()];
    const purges = [];
    for (const user of users) {
      purges.push(await deactivate(user));
    }
    // This test's own deactivations are the only ones in the window beyond the earlier tests'.
    const held = purges.filter((purge) => purge.state === 'held');
    expect(held.length).toBeGreaterThanOrEqual(3);
    for (const purge of held) {
      expect(purge.holdReason).toBe('mass_deactivation');
    }
    const [first, second, ...rest] = held;

    await releases.releaseOne(admin, first.id, CONTEXT);
    expect((await domain.purges.findById(first.id))?.state).toBe('pending');
    await expect(releases.releaseOne(admin, first.id, CONTEXT)).rejects.toBeInstanceOf(DomainError);

    const reactivated = users[purges.indexOf(second)];
    await domain.provisioning.update(organizationId, reactivated.id, { active: true });
    expect(await domain.purges.findById(second.id)).toMatchObject({ state: 'cancelled' });
    expect(await database.rows(KEY_ROWS, [reactivated.id])).toHaveLength(1);

    expect(await domain.purges.countHeld(organizationId, 'mass_deactivation')).toBe(rest.length);
    expect(await releases.releaseAll(admin, 'mass_deactivation', CONTEXT)).toBe(rest.length);
    for (const purge of rest) {
      expect((await domain.purges.findById(purge.id))?.state).toBe('pending');
    }
    expect(await domain.purges.countHeld(organizationId, 'mass_deactivation')).toBe(0);
  });
});
