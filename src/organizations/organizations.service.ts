import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { ApiKeysService, IssuedApiKey } from '../api-keys/api-keys.service';
import { DomainError, DomainErrorCode, notFound } from '../common/domain-error';
import { RequestContext } from '../common/request-context';
import { Settings } from '../config/settings';
import { Database } from '../database/database';
import { isUniqueViolation } from '../database/database-error';
import { PurgeQueryService } from '../retention/purge-query.service';
import { User } from '../users/user.entity';
import { UserCounts, UsersService } from '../users/users.service';
import { BootstrapOrganizationDto } from './dto/bootstrap-organization.dto';
import { GrantAdministratorDto } from './dto/grant-administrator.dto';
import { OrganizationRecord, OrganizationsRepository } from './organizations.repository';

export type OrganizationWithAdministrator = {
  organization: OrganizationRecord;
  admin: User;
  apiKey: IssuedApiKey;
};

export type OrganizationOverview = {
  organization: OrganizationRecord;
  scimBaseUrl: string;
  users: UserCounts;
  /** Purges the mass-deactivation breaker holds now, waiting for an administrator. */
  heldByBreaker: number;
};

/** Operator commands act from the command line, not from a request. */
const CLI_CONTEXT: RequestContext = { sourceAddress: 'cli', requestId: null };

@Injectable()
export class OrganizationsService {
  constructor(
    private readonly database: Database,
    private readonly organizations: OrganizationsRepository,
    private readonly users: UsersService,
    private readonly apiKeys: ApiKeysService,
    private readonly settings: Settings,
    private readonly purges: PurgeQueryService,
  ) {}

  /** Creates an organization, its first administrator and that administrator's first API key, or nothing at all. */
  async bootstrap(input: BootstrapOrganizationDto): Promise<OrganizationWithAdministrator> {
    const hostname = input.hostname.toLowerCase();
    try {
      return await this.database.transaction(async () => {
        if (await this.organizations.findByHostname(hostname)) {
          throw hostnameTaken(hostname);
        }
        const organization = await this.organizations.insert({ id: randomUUID(), name: input.orgName, hostname });
        const admin = await this.users.createAdministrator(organization.id, {
          email: input.adminEmail,
          givenName: input.adminGivenName ?? defaultGivenName(input.adminEmail),
          familyName: input.adminFamilyName ?? 'Administrator',
        });
        const apiKey = await this.firstApiKey(admin, 'Created by bootstrap');
        return { organization, admin, apiKey };
      });
    } catch (error) {
      // Two bootstraps racing for one hostname: the unique index decides.
      if (isUniqueViolation(error)) {
        throw hostnameTaken(hostname);
      }
      throw error;
    }
  }

  /**
   * Recovery when no administrator is left: makes the user with this email an administrator
   * (creating them if the organization has no such user) and issues them a new API key.
   */
  async grantAdministrator(input: GrantAdministratorDto): Promise<OrganizationWithAdministrator> {
    try {
      return await this.database.transaction(async () => {
        const organization = await this.organizations.findByHostname(input.hostname.toLowerCase());
        if (!organization) {
          throw notFound(`Organization with hostname "${input.hostname}"`);
        }
        const existing = await this.users.findByUserName(organization.id, input.email);
        const admin = existing
          ? await this.users.setAdministrator(
              { organizationId: organization.id, userId: null, apiKeyId: null },
              existing.id,
              true,
              CLI_CONTEXT,
            )
          : await this.users.createAdministrator(organization.id, {
              email: input.email,
              givenName: input.givenName ?? defaultGivenName(input.email),
              familyName: input.familyName ?? 'Administrator',
            });
        const apiKey = await this.firstApiKey(admin, 'Created by grant-admin');
        return { organization, admin, apiKey };
      });
    } catch (error) {
      if (isUniqueViolation(error)) {
        throw new DomainError(DomainErrorCode.Conflict, 'A concurrent change created this user; run the command again.');
      }
      throw error;
    }
  }

  async overview(organizationId: string): Promise<OrganizationOverview> {
    const organization = await this.organizations.findById(organizationId);
    if (!organization) {
      throw notFound('Organization');
    }
    return {
      organization,
      scimBaseUrl: this.settings.scimBaseUrl,
      users: await this.users.counts(organizationId),
      heldByBreaker: await this.purges.heldByBreaker(organizationId),
    };
  }

  private firstApiKey(admin: User, description: string): Promise<IssuedApiKey> {
    return this.apiKeys.create({ organizationId: admin.organizationId, userId: admin.id, apiKeyId: null }, description, CLI_CONTEXT);
  }
}

function hostnameTaken(hostname: string): DomainError {
  return new DomainError(DomainErrorCode.HostnameTaken, `An organization with hostname "${hostname}" already exists.`);
}

/** Okta's spec test needs names on every user; the email's local part stands in when none is given. */
function defaultGivenName(email: string): string {
  return email.slice(0, email.indexOf('@')) || 'Admin';
}
