import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Database } from '../../../src/database/database';
import { SignInLinksRepository } from '../../../src/sign-in-links/sign-in-links.repository';
import { IntegrationDatabase, openIntegrationDatabase } from '../support/integration-database';

const MINUTE = 60_000;

/** The sign-in links table on the real databases: every statement its repository declares runs here. */
describe('sign-in links data', () => {
  let opened: IntegrationDatabase;
  let database: Database;
  let links: SignInLinksRepository;
  const organizationId = randomUUID();
  const otherOrganizationId = randomUUID();
  const userId = randomUUID();

  beforeAll(async () => {
    opened = await openIntegrationDatabase({ guardSqliteWrites: false });
    database = opened.database;
    links = new SignInLinksRepository(database);
    const now = new Date().toISOString().replace('T', ' ').slice(0, 19);
    for (const [id, hostname] of [
      [organizationId, 'links.localhost'],
      [otherOrganizationId, 'other-links.localhost'],
    ]) {
      await opened.dataSource.query('INSERT INTO organizations (id, name, hostname, created_at, updated_at) VALUES (?, ?, ?, ?, ?)', [
        id,
        `Org ${hostname}`,
        hostname,
        now,
        now,
      ]);
    }
    await opened.dataSource.query(
      'INSERT INTO users (id, organization_id, user_name, user_name_normalized, email, email_folded, given_name, family_name, active, role, created_at, updated_at, version, deleted_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1, ?)',
      [
        userId,
        organizationId,
        'admin@links.test',
        'admin@links.test',
        'admin@links.test',
        'admin@links.test',
        'Ada',
        'Admin',
        1,
        'admin',
        now,
        now,
        null,
      ],
    );
  });

  afterAll(async () => {
    await opened.close();
  });

  const link = (tokenHash: string, now: Date) => ({
    tokenHash,
    organizationId,
    userId,
    createdAt: now,
    expiresAt: new Date(now.getTime() + 10 * MINUTE),
  });

  it('consumes a link once, for its organization only, before it expires', async () => {
    const now = new Date();
    await links.insert(link('a'.repeat(64), now));
    expect(await links.consume('a'.repeat(64), otherOrganizationId, now)).toBeNull();
    expect(await links.consume('a'.repeat(64), organizationId, now)).toEqual({ organizationId, userId });
    expect(await links.consume('a'.repeat(64), organizationId, now)).toBeNull();

    await links.insert(link('b'.repeat(64), now));
    expect(await links.consume('b'.repeat(64), organizationId, new Date(now.getTime() + 10 * MINUTE))).toBeNull();
    expect(await links.consume('c'.repeat(64), organizationId, now)).toBeNull();
  });

  it('lets exactly one of two concurrent consumptions through', async () => {
    const now = new Date();
    await links.insert(link('d'.repeat(64), now));
    const results = await Promise.all([
      database.transaction(() => links.consume('d'.repeat(64), organizationId, now)),
      database.transaction(() => links.consume('d'.repeat(64), organizationId, now)),
    ]);
    expect(results.filter((result) => result !== null)).toHaveLength(1);
  });

  it('deletes the links that expired before a time, and only those', async () => {
    const now = new Date();
    await links.insert(link('e'.repeat(64), new Date(now.getTime() - 60 * MINUTE)));
    await links.insert(link('f'.repeat(64), now));
    expect(await links.deleteExpired(new Date(now.getTime() - 30 * MINUTE))).toBeGreaterThanOrEqual(1);
    expect(await links.consume('e'.repeat(64), organizationId, new Date(now.getTime() - 55 * MINUTE))).toBeNull();
    expect(await links.consume('f'.repeat(64), organizationId, now)).toEqual({ organizationId, userId });
  });
});
