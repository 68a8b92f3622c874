import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { ApiKeysService } from '../api-keys/api-keys.service';
import { AuditService } from '../audit/audit.service';
import { DomainError, DomainErrorCode, notFound } from '../common/domain-error';
import { RequestContext } from '../common/request-context';
import { Database } from '../database/database';
import { foldedOrNull, normalizeUserName, userNameKeyForNewUser } from './caseless-text';
import { UserRecord, UsersRepository } from './users.repository';

export type NewAdministrator = {
  email: string;
  givenName: string;
  familyName: string;
};

export type UserCounts = { total: number; active: number; inactive: number; administrators: number };

export type RoleChangeActor = { organizationId: string; userId: string | null; apiKeyId: string | null };

@Injectable()
export class UsersService {
  constructor(
    private readonly database: Database,
    private readonly users: UsersRepository,
    private readonly audit: AuditService,
    private readonly apiKeys: ApiKeysService,
  ) {}

  /** The administrator's userName is their email, as Okta will send it when it links them. Joins the caller's transaction. */
  async createAdministrator(organizationId: string, admin: NewAdministrator): Promise<UserRecord> {
    // Millisecond precision on SQLite too, so list order follows creation.
    const now = new Date();
    const user: UserRecord = {
      id: randomUUID(),
      organizationId,
      userName: admin.email,
      userNameNormalized: userNameKeyForNewUser(admin.email),
      email: admin.email,
      emailFolded: foldedOrNull(admin.email),
      givenName: admin.givenName,
      givenNameFolded: foldedOrNull(admin.givenName),
      familyName: admin.familyName,
      familyNameFolded: foldedOrNull(admin.familyName),
      externalId: null,
      active: true,
      role: 'admin',
      createdAt: now,
      updatedAt: now,
      version: 1,
      deletedAt: null,
    };
    await this.users.insert(user);
    return user;
  }

  /** The user (not deleted) with this userName, compared as SCIM compares userNames. */
  findByUserName(organizationId: string, userName: string): Promise<UserRecord | null> {
    return this.users.findVisibleByUserNameKey(organizationId, normalizeUserName(userName));
  }

  /** The admin's view: newest first, optionally only active or inactive users, or a userName prefix (compared as userNames are). */
  listForAdmin(
    organizationId: string,
    query: { active?: boolean; userName?: string },
    offset: number,
    limit: number,
  ): Promise<{ users: UserRecord[]; total: number }> {
    const userNamePrefix = query.userName ? normalizeUserName(query.userName) : undefined;
    return this.users.adminPage(organizationId, { active: query.active, userNamePrefix }, offset, limit);
  }

  async findForAdmin(organizationId: string, id: string): Promise<UserRecord> {
    const user = await this.users.findVisible(organizationId, id);
    if (!user) {
      throw notFound('User');
    }
    return user;
  }

  async counts(organizationId: string): Promise<UserCounts> {
    const { total, active, administrators } = await this.users.counts(organizationId);
    return { total, active, inactive: total - active, administrators };
  }

  /**
   * Grants or revokes the administrator role of an active user, in one transaction (the caller's,
   * when there is one). The organization row is locked first so two concurrent demotions cannot
   * leave it without an administrator. Demotion revokes, audited, every API key and SCIM credential
   * the user owns: they act only for an administrator, and a later grant does not revive them.
   */
  async setAdministrator(actor: RoleChangeActor, userId: string, grant: boolean, context: RequestContext): Promise<UserRecord> {
    return this.database.transaction(async () => {
      await this.users.lockOrganization(actor.organizationId);
      const user = await this.users.findVisible(actor.organizationId, userId);
      if (!user) {
        throw notFound('User');
      }
      if (!user.active) {
        throw new DomainError(DomainErrorCode.UserInactive, 'This user is deactivated; only active users can be administrators.');
      }
      const role = grant ? 'admin' : 'user';
      if (user.role === role) {
        return user;
      }
      if (!grant && (await this.users.countActiveAdministrators(actor.organizationId)) <= 1) {
        throw new DomainError(
          DomainErrorCode.LastAdministrator,
          'This is the last active administrator of the organization; grant the role to someone else first.',
        );
      }
      const now = new Date();
      if (!(await this.users.setRole(user.id, user.role, role, now))) {
        throw new DomainError(DomainErrorCode.Conflict, "The user's role was changed concurrently; read it again and retry.");
      }
      await this.audit.record(
        {
          organizationId: actor.organizationId,
          type: grant ? 'admin.granted' : 'admin.revoked',
          actorUserId: actor.userId,
          actorApiKeyId: actor.apiKeyId,
          targetType: 'user',
          targetId: user.id,
        },
        context,
      );
      if (!grant) {
        await this.apiKeys.revokeAllOwnedBy(user.id, { reason: 'owner_demoted', actor, context });
      }
      return { ...user, role, updatedAt: now, version: user.version + 1 };
    });
  }
}
