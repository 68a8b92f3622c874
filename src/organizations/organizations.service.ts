import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { DomainError, DomainErrorCode } from '../common/domain-error';
import { isUniqueViolation } from '../database/unique-violation';
import { User } from '../users/user.entity';
import { UsersService } from '../users/users.service';
import { BootstrapOrganizationDto } from './dto/bootstrap-organization.dto';
import { Organization } from './organization.entity';

export type BootstrappedOrganization = {
  organization: Organization;
  admin: User;
};

@Injectable()
export class OrganizationsService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly users: UsersService,
  ) {}

  /** Creates an organization and its first administrator together, or nothing at all. */
  async bootstrap(input: BootstrapOrganizationDto): Promise<BootstrappedOrganization> {
    const hostname = input.hostname.toLowerCase();
    try {
      return await this.dataSource.transaction(async (manager) => {
        const organizations = manager.getRepository(Organization);
        if (await organizations.existsBy({ hostname })) {
          throw hostnameTaken(hostname);
        }
        const organization = await organizations.save(
          organizations.create({ id: randomUUID(), name: input.orgName, hostname }),
        );
        const admin = await this.users.createAdministrator(manager, organization.id, {
          email: input.adminEmail,
          givenName: input.adminGivenName ?? defaultGivenName(input.adminEmail),
          familyName: input.adminFamilyName ?? 'Administrator',
        });
        return { organization, admin };
      });
    } catch (error) {
      // Two bootstraps racing for one hostname: the unique index decides.
      if (isUniqueViolation(error)) {
        throw hostnameTaken(hostname);
      }
      throw error;
    }
  }
}

function hostnameTaken(hostname: string): DomainError {
  return new DomainError(DomainErrorCode.HostnameTaken, `An organization with hostname "${hostname}" already exists.`);
}

/** Okta's spec test needs names on every user; the email's local part stands in when none is given. */
function defaultGivenName(email: string): string {
  return email.slice(0, email.indexOf('@')) || 'Admin';
}
