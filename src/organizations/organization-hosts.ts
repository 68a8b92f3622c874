import { Injectable } from '@nestjs/common';
import { HostedOrganization, OrganizationsRepository } from './organizations.repository';

export type { HostedOrganization } from './organizations.repository';

// DNS names are at most 253 characters; a longer Host names no organization.
const MAX_HOSTNAME_LENGTH = 253;

/** Organizations by the hostname their users reach them at (stored lower-case). */
@Injectable()
export class OrganizationHosts {
  constructor(private readonly organizations: OrganizationsRepository) {}

  /** `hostname` as the request named it: compared without case and without a final dot. */
  async findByHostname(hostname: string | undefined): Promise<HostedOrganization | null> {
    const normalized = (hostname ?? '').trim().toLowerCase().replace(/\.$/, '');
    if (normalized === '' || normalized.length > MAX_HOSTNAME_LENGTH) {
      return null;
    }
    return this.organizations.hostByHostname(normalized);
  }

  async findById(id: string): Promise<HostedOrganization | null> {
    return this.organizations.hostById(id);
  }
}
