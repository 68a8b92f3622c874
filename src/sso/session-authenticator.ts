import { Injectable } from '@nestjs/common';
import { HostedOrganization, OrganizationHosts } from '../organizations/organization-hosts';
import { SessionRecord } from '../sessions/sessions.repository';
import { SessionsService } from '../sessions/sessions.service';
import { DirectoryUser, UserDirectory } from '../users/user-directory';
import { SsoConfigurationService } from './sso-configuration.service';

/** A request's valid session, with who it is for and where. */
export type SignedIn = { readonly session: SessionRecord; readonly user: DirectoryUser; readonly organization: HostedOrganization };

/**
 * Decides on every request whether a session token still signs its user in: the session is open,
 * it belongs to the organization of the host it is presented on, that organization still has SSO
 * enabled, and the user is still active and not deleted.
 */
@Injectable()
export class SessionAuthenticator {
  constructor(
    private readonly sessions: SessionsService,
    private readonly organizations: OrganizationHosts,
    private readonly configurations: SsoConfigurationService,
    private readonly users: UserDirectory,
  ) {}

  async authenticate(token: string | null, hostname: string | undefined): Promise<SignedIn | null> {
    if (token === null) {
      return null;
    }
    const session = await this.sessions.findOpen(token);
    if (!session) {
      return null;
    }
    const organization = await this.organizations.findByHostname(hostname);
    if (organization?.id !== session.organizationId || !(await this.configurations.isEnabled(organization.id))) {
      return null;
    }
    const user = await this.users.findById(organization.id, session.userId);
    if (!user?.active || user.deleted) {
      return null;
    }
    await this.sessions.touch(session);
    return { session, user, organization };
  }
}
