import { Injectable } from '@nestjs/common';
import { Database } from '../database/database';
import { statement } from '../database/statement';

export type HostedOrganization = { readonly id: string; readonly name: string; readonly hostname: string };

const BY_HOSTNAME = statement<HostedOrganization>('organizations.hosts.byHostname', 'SELECT id, name, hostname FROM organizations WHERE hostname = ?');
const BY_ID = statement<HostedOrganization>('organizations.hosts.byId', 'SELECT id, name, hostname FROM organizations WHERE id = ?');

// DNS names are at most 253 characters; a longer Host names no organization.
const MAX_HOSTNAME_LENGTH = 253;

/** Organizations by the hostname their users reach them at (stored lower-case). */
@Injectable()
export class OrganizationHosts {
  constructor(private readonly database: Database) {}

  /** `hostname` as the request named it: compared without case and without a final dot. */
  async findByHostname(hostname: string | undefined): Promise<HostedOrganization | null> {
    const normalized = (hostname ?? '').trim().toLowerCase().replace(/\.$/, '');
    if (normalized === '' || normalized.length > MAX_HOSTNAME_LENGTH) {
      return null;
    }
    return this.database.first(BY_HOSTNAME, [normalized]);
  }

  async findById(id: string): Promise<HostedOrganization | null> {
    return this.database.first(BY_ID, [id]);
  }
}
