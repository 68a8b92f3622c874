import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { DataSource, EntityManager, IsNull, Repository, SelectQueryBuilder } from 'typeorm';
import { ApiKeysService } from '../api-keys/api-keys.service';
import { DomainError, DomainErrorCode, notFound } from '../common/domain-error';
import { isUniqueViolation } from '../database/unique-violation';
import { PurgeScheduler } from '../retention/purge-scheduler';
import { NewUser, UserChanges } from './user-changes';
import { normalizeUserName, User } from './user.entity';
import { serializedTransaction } from '../database/serialized-transaction';

/** Narrows a user query; the users domain does not know the SCIM filter language. */
export type UserQueryCondition = (query: SelectQueryBuilder<User>, alias: string) => void;

export type UserPage = { users: User[]; total: number };

const USERS_ALIAS = 'u';
const MAX_WRITE_ATTEMPTS = 3;

/**
 * The provisioning rules: create, rename-free profile updates, deactivation (which wipes the
 * profile, revokes the user's keys and records the purge in the same transaction), reactivation
 * and deletion. Every method is scoped to one organization.
 */
@Injectable()
export class UserProvisioningService {
  constructor(
    private readonly dataSource: DataSource,
    @InjectRepository(User) private readonly users: Repository<User>,
    private readonly apiKeys: ApiKeysService,
    private readonly purges: PurgeScheduler,
  ) {}

  /** One INSERT: the unique index, not a prior read, decides between 201 and 409 (also under races). */
  async create(organizationId: string, input: NewUser): Promise<User> {
    const now = new Date();
    const user = this.users.create({
      id: randomUUID(),
      organizationId,
      userName: input.userName,
      userNameNormalized: normalizeUserName(input.userName),
      email: input.email,
      givenName: input.active ? input.givenName : null,
      familyName: input.active ? input.familyName : null,
      externalId: input.externalId,
      active: input.active,
      role: 'user',
      deletedAt: null,
      // Set here for millisecond precision (SQLite's default has seconds): list order follows it.
      createdAt: now,
      updatedAt: now,
      version: 1,
    });
    try {
      // updateEntity(false): the row is exactly `user`; no read-back of generated columns.
      await serializedTransaction(this.dataSource, (manager) => manager.createQueryBuilder().insert().into(User).values(user).updateEntity(false).execute());
    } catch (error) {
      if (isUniqueViolation(error)) {
        throw userNameTaken(input.userName);
      }
      throw error;
    }
    return user;
  }

  async get(organizationId: string, id: string): Promise<User> {
    const user = await this.users.findOneBy({ id, organizationId, deletedAt: IsNull() });
    if (!user) {
      throw notFound('User');
    }
    return user;
  }

  /** A stable order (creation, then id) so pages never overlap or skip. */
  async list(organizationId: string, condition: UserQueryCondition | null, offset: number, limit: number): Promise<UserPage> {
    const query = this.users
      .createQueryBuilder(USERS_ALIAS)
      .where(`${USERS_ALIAS}.organization_id = :organizationId`, { organizationId })
      .andWhere(`${USERS_ALIAS}.deleted_at IS NULL`);
    condition?.(query, USERS_ALIAS);
    if (limit === 0) {
      return { users: [], total: await query.getCount() };
    }
    const users = await query.clone().orderBy(`${USERS_ALIAS}.created_at`, 'ASC').addOrderBy(`${USERS_ALIAS}.id`, 'ASC').offset(offset).limit(limit).getMany();
    // A first page that is not full holds every match: no COUNT needed (Okta's userName lookups).
    const total = offset === 0 && users.length < limit ? users.length : await query.getCount();
    return { users, total };
  }

  /**
   * Applies changes atomically; `expectedVersion` (from If-Match) must match when given. Changes
   * given as a function are read only once the user is found, so an unknown id is a 404 whatever
   * the body holds, without a separate read first.
   */
  async update(organizationId: string, id: string, changes: UserChanges | (() => UserChanges), expectedVersion?: number): Promise<User> {
    for (let attempt = 1; ; attempt += 1) {
      const outcome = await serializedTransaction(this.dataSource, (manager) => this.applyChanges(manager, organizationId, id, changes, expectedVersion));
      if (outcome.kind === 'applied') {
        if (outcome.purgeId) {
          await this.purges.dispatch(outcome.purgeId);
        }
        return outcome.user;
      }
      // Someone else changed the row between our read and write: read again and re-apply.
      if (attempt >= MAX_WRITE_ATTEMPTS || expectedVersion !== undefined) {
        throw new DomainError(DomainErrorCode.PreconditionFailed, 'The user was changed concurrently; read it again and retry.');
      }
    }
  }

  /** SCIM DELETE: deactivate (with its purge), then hide the user and free the userName. */
  async remove(organizationId: string, id: string, expectedVersion?: number): Promise<void> {
    const user = await this.update(organizationId, id, { active: false }, expectedVersion);
    const result = await serializedTransaction(this.dataSource, (manager) =>
      manager.getRepository(User).update({ id: user.id, organizationId, deletedAt: IsNull() }, { deletedAt: new Date(), userNameNormalized: `#deleted:${user.id}` }),
    );
    if (!result.affected) {
      throw notFound('User');
    }
  }

  private async applyChanges(
    manager: EntityManager,
    organizationId: string,
    id: string,
    requested: UserChanges | (() => UserChanges),
    expectedVersion: number | undefined,
  ): Promise<{ kind: 'applied'; user: User; purgeId: string | null } | { kind: 'conflict' }> {
    const users = manager.getRepository(User);
    const user = await users.findOneBy({ id, organizationId, deletedAt: IsNull() });
    if (!user) {
      throw notFound('User');
    }
    const changes = typeof requested === 'function' ? requested() : requested;
    if (expectedVersion !== undefined && expectedVersion !== user.version) {
      throw new DomainError(DomainErrorCode.PreconditionFailed, `The user is at version ${user.version}, not ${expectedVersion} (If-Match).`);
    }
    if (changes.userName !== undefined && normalizeUserName(changes.userName) !== user.userNameNormalized) {
      throw new DomainError(
        DomainErrorCode.UserNameImmutable,
        `userName cannot be changed (from "${user.userName}" to "${changes.userName}"): this service keeps the userName it was ` +
          'provisioned with. To rename, deactivate this user and provision a new one.',
      );
    }
    const active = changes.active ?? user.active;
    const deactivating = user.active && !active;
    // An inactive user's profile stays wiped: names arrive again with reactivation.
    const next = {
      active,
      givenName: active ? (changes.givenName !== undefined ? changes.givenName : user.givenName) : null,
      familyName: active ? (changes.familyName !== undefined ? changes.familyName : user.familyName) : null,
    };
    if (next.active === user.active && next.givenName === user.givenName && next.familyName === user.familyName) {
      return { kind: 'applied', user, purgeId: null };
    }
    const written = await users
      .createQueryBuilder()
      .update(User)
      .set({ ...next, version: () => 'version + 1' })
      .where('id = :id AND version = :version', { id: user.id, version: user.version })
      .execute();
    if (!written.affected) {
      return { kind: 'conflict' };
    }
    let purgeId: string | null = null;
    if (deactivating) {
      await this.apiKeys.revokeAllOwnedBy(manager, user.id);
      ({ purgeId } = await this.purges.record(manager, user));
    }
    return { kind: 'applied', user: await users.findOneByOrFail({ id: user.id }), purgeId };
  }
}

function userNameTaken(userName: string): DomainError {
  return new DomainError(DomainErrorCode.UserNameTaken, `A user with userName "${userName}" already exists (userNames are compared without regard to case).`);
}
