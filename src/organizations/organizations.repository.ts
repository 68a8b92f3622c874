import { Injectable } from '@nestjs/common';
import { Database } from '../database/database';
import { readDate } from '../database/sql-values';
import { statement } from '../database/statement';

export type OrganizationRecord = { readonly id: string; readonly name: string; readonly hostname: string; readonly createdAt: Date };
export type HostedOrganization = { readonly id: string; readonly name: string; readonly hostname: string };

type OrganizationRow = { id: string; name: string; hostname: string; created_at: unknown };

const INSERT = statement('organizations.insert', 'INSERT INTO organizations (id, name, hostname) VALUES (?, ?, ?)');
const BY_ID = statement<OrganizationRow>('organizations.byId', 'SELECT id, name, hostname, created_at FROM organizations WHERE id = ?');
const BY_HOSTNAME = statement<OrganizationRow>(
  'organizations.byHostname',
  'SELECT id, name, hostname, created_at FROM organizations WHERE hostname = ?',
);
const HOST_BY_HOSTNAME = statement<HostedOrganization>(
  'organizations.hosts.byHostname',
  'SELECT id, name, hostname FROM organizations WHERE hostname = ?',
);
const HOST_BY_ID = statement<HostedOrganization>('organizations.hosts.byId', 'SELECT id, name, hostname FROM organizations WHERE id = ?');

/** The organizations table. Hostnames are stored lower-case; a unique index keeps them distinct. */
@Injectable()
export class OrganizationsRepository {
  constructor(private readonly database: Database) {}

  /** Inserts the organization (a taken hostname fails with a unique violation) and reads it back with its creation time. */
  async insert(organization: { id: string; name: string; hostname: string }): Promise<OrganizationRecord> {
    await this.database.run(INSERT, [organization.id, organization.name, organization.hostname]);
    const created = await this.findById(organization.id);
    if (!created) {
      throw new Error(`organization ${organization.id} was not found right after its insert`);
    }
    return created;
  }

  async findById(id: string): Promise<OrganizationRecord | null> {
    const row = await this.database.first(BY_ID, [id]);
    return row ? toRecord(row) : null;
  }

  async findByHostname(hostname: string): Promise<OrganizationRecord | null> {
    const row = await this.database.first(BY_HOSTNAME, [hostname]);
    return row ? toRecord(row) : null;
  }

  /** The lighter read of a request's routing (no timestamps to convert). */
  hostByHostname(hostname: string): Promise<HostedOrganization | null> {
    return this.database.first(HOST_BY_HOSTNAME, [hostname]);
  }

  hostById(id: string): Promise<HostedOrganization | null> {
    return this.database.first(HOST_BY_ID, [id]);
  }
}

function toRecord(row: OrganizationRow): OrganizationRecord {
  return { id: row.id, name: row.name, hostname: row.hostname, createdAt: readDate(row.created_at) };
}
