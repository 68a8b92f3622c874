import { Injectable } from '@nestjs/common';
import { AuditService } from '../audit/audit.service';
import { DomainError, DomainErrorCode, notFound } from '../common/domain-error';
import { RequestContext } from '../common/request-context';
import { Settings } from '../config/settings';
import { Database } from '../database/database';
import { OrganizationHosts } from '../organizations/organization-hosts';
import { isWellFormedSessionToken, newSessionToken, sessionTokenHash } from '../sessions/session-token';
import { OpenedSession, SessionsService } from '../sessions/sessions.service';
import { UserDirectory } from '../users/user-directory';
import { SignInLinksRepository } from './sign-in-links.repository';

export const SIGN_IN_LINK_LIFETIME_MS = 10 * 60_000;
// Spent and expired links are deleted this long after they expire (the audit trail keeps the events).
const EXPIRED_RETENTION_MS = 24 * 3600_000;
/** The console page that takes a link's token; the token travels in the fragment, never to a server log. */
export const SIGN_IN_LINK_PATH = '/login/link';

export type IssuedSignInLink = {
  url: string;
  expiresAt: Date;
  organization: { id: string; hostname: string };
  user: { id: string; userName: string };
};

const CLI_CONTEXT: RequestContext = { sourceAddress: null, requestId: null };

/**
 * One-time links that open an administrator's console session without single sign-on: valid ten
 * minutes, consumed by one conditional UPDATE (so two concurrent uses open one session), audited
 * when issued and when used. Only the hash of the token is stored.
 */
@Injectable()
export class SignInLinksService {
  constructor(
    private readonly database: Database,
    private readonly repository: SignInLinksRepository,
    private readonly organizations: OrganizationHosts,
    private readonly users: UserDirectory,
    private readonly sessions: SessionsService,
    private readonly audit: AuditService,
    private readonly settings: Settings,
  ) {}

  async issue(hostname: string, email: string, now = new Date()): Promise<IssuedSignInLink> {
    const organization = await this.organizations.findByHostname(hostname);
    if (!organization) {
      throw notFound('Organization');
    }
    const user = await this.users.findByUserName(organization.id, email);
    if (!user || user.deleted) {
      throw notFound('User');
    }
    if (!user.active || user.role !== 'admin') {
      throw new DomainError(
        DomainErrorCode.UserInactive,
        `${user.userName} is not an active administrator of ${organization.hostname}: a sign-in link opens an administrator session only.`,
      );
    }
    // Links are issued rarely, by an operator: cleaning up here needs no timer.
    await this.repository.deleteExpired(new Date(now.getTime() - EXPIRED_RETENTION_MS));
    const token = newSessionToken();
    const expiresAt = new Date(now.getTime() + SIGN_IN_LINK_LIFETIME_MS);
    await this.repository.insert({
      tokenHash: sessionTokenHash(token),
      organizationId: organization.id,
      userId: user.id,
      createdAt: now,
      expiresAt,
    });
    await this.audit.record(
      {
        organizationId: organization.id,
        type: 'sign_in_link.issued',
        targetType: 'user',
        targetId: user.id,
        detail: `expires:${expiresAt.toISOString()}`,
      },
      CLI_CONTEXT,
    );
    const base = this.settings.sso.organizationUrlTemplate.replaceAll('{hostname}', organization.hostname);
    return {
      url: `${base}${SIGN_IN_LINK_PATH}#${token}`,
      expiresAt,
      organization: { id: organization.id, hostname: organization.hostname },
      user: { id: user.id, userName: user.userName },
    };
  }

  /**
   * Spends the link and opens an administrator session for its user, on the organization reached at
   * `hostname` only; null when the link is unknown, used, expired, for another organization, or its
   * user is no longer an active administrator (the link is spent all the same).
   */
  async consume(token: string, hostname: string | undefined, context: RequestContext, now = new Date()): Promise<OpenedSession | null> {
    if (!isWellFormedSessionToken(token)) {
      return null;
    }
    const organization = await this.organizations.findByHostname(hostname);
    if (!organization) {
      return null;
    }
    const opened = await this.database.transaction(async () => {
      const link = await this.repository.consume(sessionTokenHash(token), organization.id, now);
      if (!link) {
        return null;
      }
      const user = await this.users.findById(organization.id, link.userId);
      if (!user?.active || user.deleted || user.role !== 'admin') {
        return null;
      }
      return this.sessions.open({ organizationId: organization.id, userId: user.id, loginFlow: 'sign_in_link' }, now);
    });
    if (opened) {
      await this.audit.record(
        {
          organizationId: organization.id,
          type: 'sign_in_link.used',
          actorUserId: opened.session.userId,
          targetType: 'session',
          targetId: opened.session.id,
          detail: null,
        },
        context,
      );
    }
    return opened;
  }
}
