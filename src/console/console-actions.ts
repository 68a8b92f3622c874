import { Injectable } from '@nestjs/common';
import { ApiKeysService } from '../api-keys/api-keys.service';
import { AuditService } from '../audit/audit.service';
import { DomainError, DomainErrorCode, notFound } from '../common/domain-error';
import { RequestContext } from '../common/request-context';
import { MessageWithBody } from '../history/history-records';
import { FileDownload, HistoryPage, HistoryService, HistorySummary } from '../history/history.service';
import { HostedOrganization, OrganizationHosts } from '../organizations/organization-hosts';
import { PurgeResponseDto } from '../retention/dto/purge.dto';
import { PurgeQueryService } from '../retention/purge-query.service';
import { PurgeRetryService } from '../retention/purge-retry.service';
import { PurgeState } from '../retention/purge.entity';
import { PurgePolicy } from '../retention/safeguards/purge-policy';
import { PurgePolicyService } from '../retention/safeguards/purge-policy.service';
import { sessionTokenHash } from '../sessions/session-token';
import { SessionRecord } from '../sessions/sessions.repository';
import { OpenedSession, SessionsService } from '../sessions/sessions.service';
import { SignInLinksService } from '../sign-in-links/sign-in-links.service';
import { expiryWarnings } from '../sso/idp-settings';
import { SessionCookie } from '../sso/session-cookie';
import { SsoConfigurationService, SsoConfigurationView } from '../sso/sso-configuration.service';
import { DirectoryUser, UserDirectory } from '../users/user-directory';
import { UsersService } from '../users/users.service';

/** Who acts from the console: a signed-in administrator (no API key). */
export type ConsoleActor = { readonly organizationId: string; readonly userId: string };

export type ConsoleApiKey = {
  readonly id: string;
  readonly key: string;
  readonly description: string | null;
  readonly createdAt: Date;
  readonly lastUsedAt: Date | null;
  readonly revokedAt: Date | null;
  readonly scimInUse: boolean;
};

export type ConsoleUserRow = {
  readonly id: string;
  readonly userName: string;
  readonly givenName: string | null;
  readonly familyName: string | null;
  readonly active: boolean;
  readonly role: string;
  readonly history: HistorySummary;
};

export type ConsoleAuditEvent = {
  readonly occurredAt: Date;
  readonly type: string;
  readonly actorUserId: string | null;
  readonly actorApiKeyId: string | null;
  readonly targetType: string | null;
  readonly targetId: string | null;
  readonly detail: string | null;
};

/** One of the viewer's files, its bytes opened as a stream. */
export type ConsoleDownload = FileDownload;

export type ConsolePage<T> = { readonly items: T[]; readonly total: number };

/**
 * Every call the console makes into other modules, and nothing else: the console's pages depend on
 * this file only, so a change in another module's service is adapted here once. Each method calls
 * the same service the admin API calls, with the same audit events.
 */
@Injectable()
export class ConsoleActions {
  constructor(
    private readonly organizations: OrganizationHosts,
    private readonly sessions: SessionsService,
    private readonly directory: UserDirectory,
    private readonly ssoConfigurations: SsoConfigurationService,
    private readonly signInLinks: SignInLinksService,
    private readonly apiKeys: ApiKeysService,
    private readonly users: UsersService,
    private readonly history: HistoryService,
    private readonly purgeQueries: PurgeQueryService,
    private readonly purgeRetries: PurgeRetryService,
    private readonly purgePolicies: PurgePolicyService,
    private readonly audit: AuditService,
    private readonly sessionCookie: SessionCookie,
  ) {}

  // Sign-in

  /** The session token the request's cookies carry, if any. */
  sessionTokenOf(cookieHeader: string | undefined): string | null {
    return this.sessionCookie.tokenOf(cookieHeader);
  }

  /** The hash of that token: what a CSRF token is bound to. */
  sessionBindingOf(cookieHeader: string | undefined): string | null {
    const token = this.sessionCookie.tokenOf(cookieHeader);
    return token === null ? null : sessionTokenHash(token);
  }

  sessionCookieFor(token: string): string {
    return this.sessionCookie.set(token);
  }

  clearedSessionCookie(): string {
    return this.sessionCookie.clear();
  }

  cookiesAreSecure(): boolean {
    return this.sessionCookie.name.startsWith('__Host-');
  }

  organizationAt(hostname: string | undefined): Promise<HostedOrganization | null> {
    return this.organizations.findByHostname(hostname);
  }

  openSession(token: string): Promise<SessionRecord | null> {
    return this.sessions.findOpen(token);
  }

  touchSession(session: SessionRecord): Promise<void> {
    return this.sessions.touch(session);
  }

  findUser(organizationId: string, userId: string): Promise<DirectoryUser | null> {
    return this.directory.findById(organizationId, userId);
  }

  isSsoEnabled(organizationId: string): Promise<boolean> {
    return this.ssoConfigurations.isEnabled(organizationId);
  }

  consumeSignInLink(token: string, hostname: string | undefined, context: RequestContext): Promise<OpenedSession | null> {
    return this.signInLinks.consume(token, hostname, context);
  }

  async signOut(session: Pick<SessionRecord, 'id' | 'organizationId' | 'userId'>, context: RequestContext): Promise<void> {
    if (await this.sessions.revoke(session.id, 'logout')) {
      await this.audit.record(
        {
          organizationId: session.organizationId,
          type: 'session.revoked',
          actorUserId: session.userId,
          targetType: 'session',
          targetId: session.id,
          detail: 'logout',
        },
        context,
      );
    }
  }

  // The signed-in user's own history

  historySummary(organizationId: string, userId: string): Promise<HistorySummary> {
    return this.history.summary(organizationId, userId);
  }

  historyPage(organizationId: string, userId: string, offset: number, limit: number): Promise<HistoryPage> {
    return this.history.page(organizationId, userId, offset, limit);
  }

  ownMessage(organizationId: string, userId: string, messageId: number): Promise<MessageWithBody> {
    return this.history.ownMessage(organizationId, userId, messageId);
  }

  openOwnFile(organizationId: string, userId: string, fileId: number): Promise<FileDownload> {
    return this.history.openOwnFile(organizationId, userId, fileId);
  }

  // API keys (the administrator's own)

  async apiKeysOf(actor: ConsoleActor): Promise<ConsoleApiKey[]> {
    const keys = await this.apiKeys.list(actor.organizationId);
    return keys
      .filter((key) => key.ownerUserId === actor.userId)
      .map((key) => ({
        id: key.id,
        key: key.key,
        description: key.description,
        createdAt: key.createdAt,
        lastUsedAt: key.lastUsedAt,
        revokedAt: key.revokedAt,
        scimInUse: key.scimCredentialActive,
      }));
  }

  async createApiKey(
    actor: ConsoleActor,
    description: string | null,
    context: RequestContext,
  ): Promise<{ id: string; key: string; secret: string }> {
    const issued = await this.apiKeys.create({ ...actor, apiKeyId: null }, description, context);
    return { id: issued.apiKey.id, key: issued.apiKey.key, secret: issued.secret };
  }

  async revokeApiKey(actor: ConsoleActor, apiKeyId: string, context: RequestContext): Promise<void> {
    await this.ownApiKey(actor, apiKeyId);
    await this.apiKeys.revoke({ ...actor, apiKeyId: null }, apiKeyId, context);
  }

  async issueScimCredential(
    actor: ConsoleActor,
    apiKeyId: string,
    context: RequestContext,
  ): Promise<{ username: string; password: string; scimBaseUrl: string }> {
    await this.ownApiKey(actor, apiKeyId);
    return this.apiKeys.issueScimCredential({ ...actor, apiKeyId: null }, apiKeyId, context);
  }

  // Users

  async listUsers(
    organizationId: string,
    query: { userName?: string; active?: boolean },
    offset: number,
    limit: number,
  ): Promise<ConsolePage<ConsoleUserRow>> {
    const { users, total } = await this.users.listForAdmin(organizationId, query, offset, limit);
    const items: ConsoleUserRow[] = [];
    for (const user of users) {
      const history = await this.history.summary(organizationId, user.id);
      items.push({
        id: user.id,
        userName: user.userName,
        givenName: user.givenName,
        familyName: user.familyName,
        active: user.active,
        role: user.role,
        history,
      });
    }
    return { items, total };
  }

  async setAdministrator(actor: ConsoleActor, userId: string, grant: boolean, context: RequestContext): Promise<void> {
    await this.users.setAdministrator({ ...actor, apiKeyId: null }, userId, grant, context);
  }

  /** Ends every open session of the user; returns how many. */
  async revokeSessionsOf(actor: ConsoleActor, userId: string, context: RequestContext): Promise<number> {
    const user = await this.users.findForAdmin(actor.organizationId, userId);
    const ended = await this.sessions.revokeAllOfUser(user.id, 'admin');
    if (ended > 0) {
      await this.audit.record(
        {
          organizationId: actor.organizationId,
          type: 'session.revoked',
          actorUserId: actor.userId,
          targetType: 'user',
          targetId: user.id,
          detail: `admin:${ended}`,
        },
        context,
      );
    }
    return ended;
  }

  // Purges

  listPurges(organizationId: string, state: PurgeState | undefined, offset: number, limit: number): Promise<ConsolePage<PurgeResponseDto>> {
    return this.purgeQueries.page(organizationId, { state }, offset, limit);
  }

  /** The organization's purge policy, and how many purges the mass-deactivation breaker holds now. */
  async purgeSafeguards(organizationId: string): Promise<{ policy: PurgePolicy; heldByBreaker: number }> {
    return { policy: await this.purgePolicies.get(organizationId), heldByBreaker: await this.purgeQueries.heldByBreaker(organizationId) };
  }

  async retryPurge(organizationId: string, purgeId: string): Promise<void> {
    await this.purgeRetries.retry(organizationId, purgeId);
  }

  // Single sign-on

  async ssoSettings(organization: HostedOrganization): Promise<{ view: SsoConfigurationView; warnings: string[] }> {
    const view = await this.ssoConfigurations.view(organization);
    return { view, warnings: view.idp ? expiryWarnings(view.idp.certificate) : [] };
  }

  async configureSso(
    actor: ConsoleActor,
    organization: HostedOrganization,
    input: { idpMetadataXml: string; allowIdpInitiated: boolean },
    context: RequestContext,
  ): Promise<string[]> {
    const { warnings } = await this.ssoConfigurations.configure(organization, input);
    await this.audit.record(
      {
        organizationId: organization.id,
        type: 'sso.configured',
        actorUserId: actor.userId,
        targetType: 'organization',
        targetId: organization.id,
        detail: 'enabled',
      },
      context,
    );
    return warnings;
  }

  /**
   * Disables single sign-on as DELETE /admin/v1/organization/sso does, with the same audit events:
   * every session of the organization ends, the actor's own included. Refused while single sign-on
   * is not enabled, so a stray post cannot end the sign-in-link sessions of a recovery.
   */
  async disableSso(actor: ConsoleActor, organization: HostedOrganization, context: RequestContext): Promise<void> {
    if (!(await this.ssoConfigurations.isEnabled(organization.id))) {
      throw new DomainError(DomainErrorCode.Conflict, 'Single sign-on is not enabled; there is nothing to disable.');
    }
    const ended = await this.ssoConfigurations.disable(organization);
    const who = { organizationId: organization.id, actorUserId: actor.userId, targetType: 'organization', targetId: organization.id };
    await this.audit.record({ ...who, type: 'sso.configured', detail: 'disabled' }, context);
    if (ended > 0) {
      await this.audit.record({ ...who, type: 'session.revoked', detail: `sso_disabled:${ended}` }, context);
    }
  }

  // Audit trail

  async auditTrail(organizationId: string, offset: number, limit: number): Promise<ConsolePage<ConsoleAuditEvent>> {
    const { items, total } = await this.audit.list(organizationId, limit, offset);
    return {
      items: items.map((event) => ({
        occurredAt: event.occurredAt,
        type: event.type,
        actorUserId: event.actorUserId,
        actorApiKeyId: event.actorApiKeyId,
        targetType: event.targetType,
        targetId: event.targetId,
        detail: event.detail,
      })),
      total,
    };
  }

  private async ownApiKey(actor: ConsoleActor, apiKeyId: string): Promise<void> {
    const own = await this.apiKeysOf(actor);
    if (!own.some((key) => key.id === apiKeyId)) {
      throw notFound('API key');
    }
  }
}
