import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { DataSource, EntityManager, Repository } from 'typeorm';
import { ApiKeysService, IssuedApiKey } from '../api-keys/api-keys.service';
import { DomainError, DomainErrorCode, notFound } from '../common/domain-error';
import { RequestContext } from '../common/request-context';
import { Settings } from '../config/settings';
import { Database } from '../database/database';
import { isUniqueViolation } from '../database/unique-violation';
import { User } from '../users/user.entity';
import { UserCounts, UsersService } from '../users/users.service';
import { BootstrapOrganizationDto } from './dto/bootstrap-organization.dto';
import { GrantAdministratorDto } from './dto/grant-administrator.dto';
import { Organization } from './organization.entity';
import { serializedTransaction } from '../database/serialized-transaction';

export type OrganizationWithAdministrator = {
  organization: Organization;
  admin: User;
  apiKey: IssuedApiKey;
};

export type OrganizationOverview = {
  organization: Organization;
  scimBaseUrl: string;
  users: UserCounts;
};

/** Operator commands act from the command line, not from a request. */
const CLI_CONTEXT: RequestContext = { sourceAddress: 'cli', requestId: null };

@Injectable()
export class OrganizationsService {
  constructor(
    private readonly dataSource: DataSource,
    @InjectRepository(Organization) private readonly organizations: Repository<Organization>,
    private readonly users: UsersService,
    private readonly apiKeys: ApiKeysService,
    private readonly settings: Settings,
    private readonly database: Database,
  ) {}

  /** Creates an organization, its first administrator and that administrator's first API key, or nothing at all. */
  async bootstrap(input: BootstrapOrganizationDto): Promise<OrganizationWithAdministrator> {
    const hostname = input.hostname.toLowerCase();
    try {
      return await serializedTransaction(this.dataSource, async (manager) => {
        const organizations = manager.getRepository(Organization);
        if (await organizations.existsBy({ hostname })) {
          throw hostnameTaken(hostname);
        }
        const organization = await organizations.save(organizations.create({ id: randomUUID(), name: input.orgName, hostname }));
        const admin = await this.database.joinTypeormTransaction(manager, () =>
          this.users.createAdministrator(organization.id, {
            email: input.adminEmail,
            givenName: input.adminGivenName ?? defaultGivenName(input.adminEmail),
            familyName: input.adminFamilyName ?? 'Administrator',
          }),
        );
        const apiKey = await this.firstApiKey(manager, admin, 'Created by bootstrap');
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
      return await serializedTransaction(this.dataSource, async (manager) => {
        const organization = await manager.getRepository(Organization).findOneBy({ hostname: input.hostname.toLowerCase() });
        if (!organization) {
          throw notFound(`Organization with hostname "${input.hostname}"`);
        }
        // Users and API keys are on the Database layer: they join this TypeORM transaction until it is converted too.
        const admin = await this.database.joinTypeormTransaction(manager, async () => {
          const existing = await this.users.findByUserName(organization.id, input.email);
          return existing
            ? await this.users.setAdministrator({ organizationId: organization.id, userId: null, apiKeyId: null }, existing.id, true, CLI_CONTEXT)
            : await this.users.createAdministrator(organization.id, {
                email: input.email,
                givenName: input.givenName ?? defaultGivenName(input.email),
                familyName: input.familyName ?? 'Administrator',
              });
        });
        const apiKey = await this.firstApiKey(manager, admin, 'Created by grant-admin');
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
    const organization = await this.organizations.findOneBy({ id: organizationId });
    if (!organization) {
      throw notFound('Organization');
    }
    return { organization, scimBaseUrl: this.settings.scimBaseUrl, users: await this.users.counts(organizationId) };
  }

  private firstApiKey(manager: EntityManager, admin: User, description: string): Promise<IssuedApiKey> {
    return this.database.joinTypeormTransaction(manager, () => this.apiKeys.create({ organizationId: admin.organizationId, userId: admin.id, apiKeyId: null }, description, CLI_CONTEXT));
  }
}

function hostnameTaken(hostname: string): DomainError {
  return new DomainError(DomainErrorCode.HostnameTaken, `An organization with hostname "${hostname}" already exists.`);
}

/** Okta's spec test needs names on every user; the email's local part stands in when none is given. */
function defaultGivenName(email: string): string {
  return email.slice(0, email.indexOf('@')) || 'Admin';
}
