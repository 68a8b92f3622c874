import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Database } from '../../../src/database/database';
import { UserRecord } from '../../../src/users/users.repository';
import { IntegrationDatabase, openIntegrationDatabase } from '../support/integration-database';
import { createOrganization, usersDomain, UsersDomain } from './support/users-fixtures';

/** API-key administration, SCIM credentials and the audit trail as services on the real databases (SQLite write guard on). */
describe('API keys, SCIM credentials and the audit trail', () => {
  let opened: IntegrationDatabase;
  let database: Database;
  let domain: UsersDomain;
  let organizationId: string;
  let admin: UserRecord;
  const context = { sourceAddress: '198.51.100.7', requestId: 'req-keys' };

  beforeAll(async () => {
    opened = await openIntegrationDatabase({ sqliteFile: 'users-api-keys.sqlite' });
    database = opened.database;
    domain = usersDomain(database);
    organizationId = await createOrganization(database);
    admin = await domain.usersService.createAdministrator(organizationId, {
      email: 'keys@example.com',
      givenName: 'Key',
      familyName: 'Keeper',
    });
  });

  afterAll(async () => {
    await opened.close();
  });

  const actor = (): { organizationId: string; userId: string; apiKeyId: null } => ({ organizationId, userId: admin.id, apiKeyId: null });

  it('creates a key whose secret decrypts again for signing; lists keys newest first with owner and credential state', async () => {
    const older = await domain.apiKeys.create(actor(), 'older', context);
    const newer = await domain.apiKeys.create(actor(), null, context);
    const signing = await domain.apiKeys.findSigningKey(newer.apiKey.key);
    expect(signing).toMatchObject({
      secret: newer.secret,
      apiKey: { id: newer.apiKey.id, revokedAt: null },
      owner: { id: admin.id, active: true, role: 'admin', deletedAt: null },
    });
    // Byte for byte: another case of the key is not the key.
    expect(await domain.apiKeys.findSigningKey(newer.apiKey.key.toUpperCase())).toBeNull();
    expect(await domain.apiKeys.findSigningKey('x'.repeat(65))).toBeNull();

    await domain.apiKeys.issueScimCredential(actor(), older.apiKey.id, context);
    const listed = await domain.apiKeys.list(organizationId);
    expect(listed.map((key) => [key.id, key.ownerUserName, key.scimCredentialActive])).toEqual([
      [newer.apiKey.id, 'keys@example.com', false],
      [older.apiKey.id, 'keys@example.com', true],
    ]);
    expect(await domain.apiKeys.list(await createOrganization(database))).toEqual([]);
  });

  it('issues a SCIM credential that verifies until revoked; reissuing replaces it; a revoked key gets none', async () => {
    const { apiKey } = await domain.apiKeys.create(actor(), 'scim', context);
    const first = await domain.apiKeys.issueScimCredential(actor(), apiKey.id, context);
    expect(first.scimBaseUrl).toMatch(/\/scim\/v2$/);
    const found = await domain.scimCredentials.findByUsername(first.username);
    expect(found).toMatchObject({ apiKeyId: apiKey.id, organizationId, revoked: false, lastUsedAt: null });
    expect(await domain.scimCredentials.findByUsername(first.username.toUpperCase())).toBeNull();

    // Whole seconds: last_used_at keeps no fraction on MySQL.
    const usedAt = new Date('2026-03-01T12:00:00.000Z');
    await domain.scimCredentials.markUsed(found!.id, usedAt);
    expect((await domain.scimCredentials.findByUsername(first.username))?.lastUsedAt).toEqual(usedAt);
    await domain.apiKeys.markUsed(apiKey.id, usedAt);
    expect((await domain.apiKeys.list(organizationId)).find((key) => key.id === apiKey.id)?.lastUsedAt).toEqual(usedAt);

    const second = await domain.apiKeys.issueScimCredential(actor(), apiKey.id, context);
    expect(await domain.scimCredentials.findByUsername(first.username)).toBeNull();
    await domain.apiKeys.revokeScimCredential(actor(), apiKey.id, context);
    expect((await domain.scimCredentials.findByUsername(second.username))?.revoked).toBe(true);
    await expect(domain.apiKeys.revokeScimCredential(actor(), apiKey.id, context)).rejects.toMatchObject({ code: 'not_found' });

    const third = await domain.apiKeys.issueScimCredential(actor(), apiKey.id, context);
    const revoked = await domain.apiKeys.revoke(actor(), apiKey.id, context);
    expect(revoked.revokedAt).toBeInstanceOf(Date);
    expect((await domain.scimCredentials.findByUsername(third.username))?.revoked).toBe(true);
    expect((await domain.apiKeys.findSigningKey(apiKey.key))?.apiKey.revokedAt).toBeInstanceOf(Date);
    await expect(domain.apiKeys.issueScimCredential(actor(), apiKey.id, context)).rejects.toMatchObject({ code: 'api_key_revoked' });
    // Revoking again changes nothing and audits nothing more.
    const before = (await domain.audit.list(organizationId, 500, 0)).total;
    await domain.apiKeys.revoke(actor(), apiKey.id, context);
    expect((await domain.audit.list(organizationId, 500, 0)).total).toBe(before);
  });

  it("refuses another organization's key as not found", async () => {
    const { apiKey } = await domain.apiKeys.create(actor(), 'mine', context);
    const stranger = { organizationId: await createOrganization(database), userId: admin.id, apiKeyId: null };
    await expect(domain.apiKeys.revoke(stranger, apiKey.id, context)).rejects.toMatchObject({ code: 'not_found' });
    await expect(domain.apiKeys.issueScimCredential(stranger, apiKey.id, context)).rejects.toMatchObject({ code: 'not_found' });
  });

  it('a credential of a key whose owner is no longer an active administrator counts as revoked', async () => {
    const deputy = await domain.usersService.createAdministrator(organizationId, {
      email: 'deputy.keys@example.com',
      givenName: 'D',
      familyName: 'K',
    });
    const { apiKey } = await domain.apiKeys.create({ organizationId, userId: deputy.id, apiKeyId: null }, 'deputy', context);
    const issued = await domain.apiKeys.issueScimCredential(actor(), apiKey.id, context);
    // The role changed without the revocation that demotion does (as before that rule existed).
    await domain.users.setRole(deputy.id, 'admin', 'user', new Date());
    expect((await domain.scimCredentials.findByUsername(issued.username))?.revoked).toBe(true);
  });

  it('keeps the audit trail newest first, paged, per organization, with the request it came from', async () => {
    const organization = await createOrganization(database);
    for (const type of ['api_key.created', 'api_key.revoked', 'auth.failed'] as const) {
      await domain.audit.record({ organizationId: organization, type, targetType: 'api_key', targetId: 't'.repeat(300) }, context);
    }
    const page = await domain.audit.list(organization, 2, 0);
    expect(page.total).toBe(3);
    expect(page.items.map((event) => event.type)).toEqual(['auth.failed', 'api_key.revoked']);
    expect(page.items[0]).toMatchObject({
      sourceAddress: '198.51.100.7',
      requestId: 'req-keys',
      actorUserId: null,
      detail: null,
      occurredAt: expect.any(Date),
    });
    expect(page.items[0].targetId).toHaveLength(255);
    expect((await domain.audit.list(organization, 2, 2)).items.map((event) => event.type)).toEqual(['api_key.created']);
  });
});
