import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Database } from '../../../src/database/database';
import { isUniqueViolation } from '../../../src/database/database-error';
import { OrganizationHosts } from '../../../src/organizations/organization-hosts';
import { OrganizationsRepository } from '../../../src/organizations/organizations.repository';
import { IntegrationDatabase, openIntegrationDatabase } from '../support/integration-database';

/** The organizations repository on the real databases, with the SQLite write guard on. */
describe('organizations data', () => {
  let opened: IntegrationDatabase;
  let database: Database;
  let organizations: OrganizationsRepository;

  beforeAll(async () => {
    opened = await openIntegrationDatabase();
    database = opened.database;
    organizations = new OrganizationsRepository(database);
  });

  afterAll(async () => {
    await opened.close();
  });

  it('inserts an organization and reads it back by id and by hostname, with its creation time', async () => {
    const id = randomUUID();
    const created = await organizations.insert({ id, name: 'Acme', hostname: `${id}.acme.test` });
    expect(created).toMatchObject({ id, name: 'Acme', hostname: `${id}.acme.test` });
    expect(Math.abs(created.createdAt.getTime() - Date.now())).toBeLessThan(60_000);
    expect(await organizations.findById(id)).toEqual(created);
    expect(await organizations.findByHostname(`${id}.acme.test`)).toEqual(created);
    expect(await organizations.findByHostname('nobody.acme.test')).toBeNull();
    expect(await organizations.findById(randomUUID())).toBeNull();
  });

  it('refuses a second organization on a hostname, at once or racing: exactly one wins, the other is a unique violation', async () => {
    const hostname = `${randomUUID()}.race.test`;
    const outcomes = await Promise.allSettled([
      database.transaction(() => organizations.insert({ id: randomUUID(), name: 'First', hostname })),
      database.transaction(() => organizations.insert({ id: randomUUID(), name: 'Second', hostname })),
    ]);
    expect(outcomes.filter((outcome) => outcome.status === 'fulfilled')).toHaveLength(1);
    const [refused] = outcomes.filter((outcome): outcome is PromiseRejectedResult => outcome.status === 'rejected');
    expect(isUniqueViolation(refused.reason)).toBe(true);
    await expect(organizations.insert({ id: randomUUID(), name: 'Third', hostname })).rejects.toSatisfy(isUniqueViolation);
  });

  it('rolls an insert back with the transaction it ran in', async () => {
    const id = randomUUID();
    await expect(
      database.transaction(async () => {
        await organizations.insert({ id, name: 'Gone', hostname: `${id}.gone.test` });
        throw new Error('the administrator could not be created');
      }),
    ).rejects.toThrow('the administrator could not be created');
    expect(await organizations.findById(id)).toBeNull();
  });

  it('OrganizationHosts: routes a request by hostname without case or a final dot, and by id', async () => {
    const id = randomUUID();
    await organizations.insert({ id, name: 'Globex', hostname: `${id}.globex.test` });
    const hosts = new OrganizationHosts(organizations);
    expect(await hosts.findByHostname(` ${id.toUpperCase()}.GLOBEX.test. `)).toEqual({ id, name: 'Globex', hostname: `${id}.globex.test` });
    expect(await hosts.findByHostname(`${'a'.repeat(254)}`)).toBeNull();
    expect(await hosts.findByHostname(undefined)).toBeNull();
    expect(await hosts.findById(id)).toEqual({ id, name: 'Globex', hostname: `${id}.globex.test` });
  });
});
