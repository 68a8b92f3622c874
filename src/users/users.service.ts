import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { DataSource, EntityManager, IsNull, Repository } from 'typeorm';
import { ApiKeysService } from '../api-keys/api-keys.service';
import { AuditService } from '../audit/audit.service';
import { DomainError, DomainErrorCode, notFound } from '../common/domain-error';
import { RequestContext } from '../common/request-context';
import { Organization } from '../organizations/organization.entity';
import { foldedOrNull, normalizeUserName, userNameKeyForNewUser } from './caseless-text';
import { User } from './user.entity';
import { serializedTransaction } from '../database/serialized-transaction';

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
    private readonly dataSource: DataSource,
    @InjectRepository(User) private readonly users: Repository<User>,
    private readonly audit: AuditService,
    private readonly apiKeys: ApiKeysService,
  ) {}

  /** The administrator's userName is their email, as Okta will send it when it links them. */
  async createAdministrator(manager: EntityManager, organizationId: string, admin: NewAdministrator): Promise<User> {
    const users = manager.getRepository(User);
    const user = users.create({
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
      // Millisecond precision on SQLite too, so list order follows creation.
      createdAt: new Date(),
    });
    return users.save(user);
  }

  findByUserName(manager: EntityManager, organizationId: string, userName: string): Promise<User | null> {
    return manager.getRepository(User).findOneBy({ organizationId, userNameNormalized: normalizeUserName(userName), deletedAt: IsNull() });
  }

  /** The admin's view: newest first, optionally only active or inactive users, or a userName prefix (compared as userNames are). */
  async listForAdmin(organizationId: string, query: { active?: boolean; userName?: string }, offset: number, limit: number): Promise<{ users: User[]; total: number }> {
    const builder = this.users
      .createQueryBuilder('u')
      .where('u.organization_id = :organizationId AND u.deleted_at IS NULL', { organizationId });
    if (query.active !== undefined) {
      builder.andWhere('u.active = :active', { active: query.active });
    }
    if (query.userName) {
      const escaped = normalizeUserName(query.userName).replace(/[!%_]/g, (character) => `!${character}`);
      builder.andWhere("u.user_name_normalized LIKE :prefix ESCAPE '!'", { prefix: `${escaped}%` });
    }
    const [users, total] = await builder.orderBy('u.created_at', 'DESC').addOrderBy('u.id', 'ASC').skip(offset).take(limit).getManyAndCount();
    return { users, total };
  }

  async findForAdmin(organizationId: string, id: string): Promise<User> {
    const user = await this.users.findOneBy({ id, organizationId, deletedAt: IsNull() });
    if (!user) {
      throw notFound('User');
    }
    return user;
  }

  async counts(organizationId: string): Promise<UserCounts> {
    const row = await this.users
      .createQueryBuilder('u')
      .select('COUNT(*)', 'total')
      .addSelect('SUM(CASE WHEN u.active = :yes THEN 1 ELSE 0 END)', 'active')
      .addSelect("SUM(CASE WHEN u.active = :yes AND u.role = 'admin' THEN 1 ELSE 0 END)", 'administrators')
      .where('u.organization_id = :organizationId AND u.deleted_at IS NULL', { organizationId, yes: true })
      .getRawOne<{ total: string | number; active: string | number | null; administrators: string | number | null }>();
    const total = Number(row?.total ?? 0);
    const active = Number(row?.active ?? 0);
    return { total, active, inactive: total - active, administrators: Number(row?.administrators ?? 0) };
  }

  /**
   * Grants or revokes the administrator role of an active user. The organization row is
   * locked first so two concurrent demotions cannot leave it without an administrator.
   * Demotion revokes, in the same transaction and audited, every API key and SCIM credential the
   * user owns: they act only for an administrator, and a later grant does not revive them. With
   * `manager` the caller commits, then calls `ApiKeysService.credentialsRevoked()`.
   */
  async setAdministrator(actor: RoleChangeActor, userId: string, grant: boolean, context: RequestContext, manager?: EntityManager): Promise<User> {
    let demoted = false;
    const run = async (tx: EntityManager): Promise<User> => {
      await lockOrganization(tx, actor.organizationId);
      const users = tx.getRepository(User);
      const user = await users.findOneBy({ id: userId, organizationId: actor.organizationId, deletedAt: IsNull() });
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
      if (!grant) {
        const otherAdmins = await users.countBy({ organizationId: actor.organizationId, role: 'admin', active: true, deletedAt: IsNull() });
        if (otherAdmins <= 1) {
          throw new DomainError(
            DomainErrorCode.LastAdministrator,
            'This is the last active administrator of the organization; grant the role to someone else first.',
          );
        }
      }
      const changed = await users.update({ id: user.id, role: user.role }, { role });
      if (!changed.affected) {
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
        tx,
      );
      if (!grant) {
        await this.apiKeys.revokeAllOwnedBy(tx, user.id, { reason: 'owner_demoted', actor, context });
        demoted = true;
      }
      return users.findOneByOrFail({ id: user.id });
    };
    if (manager) {
      return run(manager);
    }
    const user = await serializedTransaction(this.dataSource, run);
    if (demoted) {
      await this.apiKeys.credentialsRevoked();
    }
    return user;
  }
}

/** A no-op write that takes the organization row's lock for the rest of the transaction. */
export async function lockOrganization(manager: EntityManager, organizationId: string): Promise<void> {
  await manager
    .createQueryBuilder()
    .update(Organization)
    .set({ name: () => 'name', updatedAt: () => 'updated_at' })
    .where('id = :organizationId', { organizationId })
    .execute();
}
