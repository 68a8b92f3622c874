import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { DataSource, EntityManager, Repository } from 'typeorm';
import { ApiKeysService } from '../api-keys/api-keys.service';
import { DomainError, DomainErrorCode, notFound } from '../common/domain-error';
import { PreparedSql, SqlValue } from '../database/prepared-sql';
import { isUniqueViolation } from '../database/unique-violation';
import { Database } from '../database/database';
import { PurgeScheduler } from '../retention/purge-scheduler';
import { SessionsService } from '../sessions/sessions.service';
import { NewUser, UserChanges } from './user-changes';
import { foldedOrNull, normalizeUserName, userNameKeyForNewUser } from './caseless-text';
import { User } from './user.entity';
import { serializedStatement, serializedTransaction } from '../database/serialized-transaction';

/**
 * Narrows a user query: SQL over the users table under the alias given, with `?` placeholders and
 * their values in order. The users domain does not know the SCIM filter language.
 */
export type UserQueryCondition = (alias: string) => { readonly sql: string; readonly values: readonly SqlValue[] };

export type UserPage = { users: User[]; total: number };

const USERS_ALIAS = 'u';
const MAX_WRITE_ATTEMPTS = 3;
// The columns a create writes, in the order of its INSERT.
const INSERTED = [
  'id',
  'organizationId',
  'userName',
  'userNameNormalized',
  'email',
  'emailFolded',
  'givenName',
  'givenNameFolded',
  'familyName',
  'familyNameFolded',
  'externalId',
  'active',
  'role',
  'createdAt',
  'updatedAt',
  'version',
  'deletedAt',
] as const;
// Every change of the mutable columns (names, their folded copies, externalId, the active state) is
// this one statement, conditional on the version read.
const UPDATE_PROFILE =
  'UPDATE users SET active = ?, given_name = ?, given_name_folded = ?, family_name = ?, family_name_folded = ?, external_id = ?, updated_at = ?, version = version + 1 ' +
  'WHERE id = ? AND version = ? AND deleted_at IS NULL';
// SCIM DELETE: deactivated (profile wiped) and hidden in one statement, conditional on the version
// and active state read. The userName is freed: the key becomes one that no userName folds to
// (folding leaves no ASCII capital).
const HIDE =
  'UPDATE users SET active = ?, given_name = NULL, given_name_folded = NULL, family_name = NULL, family_name_folded = NULL, ' +
  'user_name_normalized = ?, deleted_at = ?, updated_at = ?, version = version + 1 WHERE id = ? AND version = ? AND active = ? AND deleted_at IS NULL';

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
    private readonly sql: PreparedSql,
    private readonly database: Database,
    private readonly sessions: SessionsService,
  ) {
    this.selectUsers = `SELECT ${sql.columns(User, USERS_ALIAS)} FROM users ${USERS_ALIAS}`;
    const columns = INSERTED.map((property) => this.users.metadata.findColumnWithPropertyName(property)?.databaseName ?? property);
    this.insertUser = `INSERT INTO users (${columns.join(', ')}) VALUES (${columns.map(() => '?').join(', ')})`;
  }

  private readonly selectUsers: string;
  private readonly insertUser: string;

  /** One INSERT: the unique index, not a prior read, decides between 201 and 409 (also under races). */
  async create(organizationId: string, input: NewUser): Promise<User> {
    const now = new Date();
    const givenName = input.active ? input.givenName : null;
    const familyName = input.active ? input.familyName : null;
    const user = this.users.create({
      id: randomUUID(),
      organizationId,
      userName: input.userName,
      userNameNormalized: userNameKeyForNewUser(input.userName),
      email: input.email,
      emailFolded: foldedOrNull(input.email),
      givenName,
      givenNameFolded: foldedOrNull(givenName),
      familyName,
      familyNameFolded: foldedOrNull(familyName),
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
      // Autocommit: one INSERT needs no transaction of its own.
      await serializedStatement(this.dataSource, () =>
        this.sql.run(
          this.insertUser,
          INSERTED.map((property) => this.sql.bindable(User, property, user[property])),
        ),
      );
    } catch (error) {
      if (isUniqueViolation(error)) {
        throw userNameTaken(input.userName);
      }
      throw error;
    }
    return user;
  }

  async get(organizationId: string, id: string): Promise<User> {
    const user = await this.findVisible(organizationId, id);
    if (!user) {
      throw notFound('User');
    }
    return user;
  }

  /**
   * A stable order (creation, then id) so pages never overlap or skip. With `timeLimitMs` each
   * query is stopped by MySQL/MariaDB past it (StatementTimeLimitExceeded; see PreparedSql).
   */
  async list(organizationId: string, condition: UserQueryCondition | null, offset: number, limit: number, timeLimitMs = 0): Promise<UserPage> {
    const narrowed = condition?.(USERS_ALIAS);
    const where = `WHERE ${USERS_ALIAS}.organization_id = ? AND ${USERS_ALIAS}.deleted_at IS NULL${narrowed ? ` AND ${narrowed.sql}` : ''}`;
    const values = [organizationId, ...(narrowed?.values ?? [])];
    const count = async (): Promise<number> => {
      const [row] = await this.sql.rowsWithinTimeLimit(`SELECT COUNT(*) AS total FROM users ${USERS_ALIAS} ${where}`, values, timeLimitMs);
      return Number(row?.total ?? 0);
    };
    if (limit === 0) {
      return { users: [], total: await count() };
    }
    const rows = await this.sql.rowsWithinTimeLimit(
      `${this.selectUsers} ${where} ORDER BY ${USERS_ALIAS}.created_at ASC, ${USERS_ALIAS}.id ASC LIMIT ? OFFSET ?`,
      [...values, this.sql.integer(limit), this.sql.integer(offset)],
      timeLimitMs,
    );
    const users = rows.map((row) => this.sql.hydrate(User, row));
    // A first page that is not full holds every match: no COUNT needed (Okta's userName lookups).
    const total = offset === 0 && users.length < limit ? users.length : await count();
    return { users, total };
  }

  /**
   * Applies changes atomically; `expectedVersion` (from If-Match) must match when given. Changes
   * given as a function are read only once the user is found, so an unknown id is a 404 whatever
   * the body holds. The write is conditional on the version read (optimistic): a name change is
   * that one UPDATE, needing no transaction; a deactivation adds, in one transaction with it, the
   * revocation of the user's keys and the purge record.
   */
  async update(organizationId: string, id: string, changes: UserChanges | (() => UserChanges), expectedVersion?: number): Promise<User> {
    let requested: UserChanges | undefined = typeof changes === 'function' ? undefined : changes;
    for (let attempt = 1; ; attempt += 1) {
      const user = await this.findVisible(organizationId, id);
      if (!user) {
        throw notFound('User');
      }
      requested ??= (changes as () => UserChanges)();
      const change = planChange(user, requested, expectedVersion);
      if (!change) {
        return user;
      }
      const outcome = change.deactivating
        ? await serializedTransaction(this.dataSource, (manager) => this.deactivate(manager, user, change))
        : await serializedStatement(this.dataSource, async () => ({ written: await this.writeChange(user, change), purgeId: null }));
      if (outcome.written) {
        if (change.deactivating) {
          await this.apiKeys.credentialsRevoked();
        }
        if (outcome.purgeId) {
          await this.purges.dispatch(outcome.purgeId);
        }
        // The row is exactly this now: the UPDATE matched the version read and set every changed column.
        return Object.assign(user, change.next, { updatedAt: change.updatedAt, version: user.version + 1 });
      }
      // Someone else changed the row between our read and write: read again and re-apply.
      if (attempt >= MAX_WRITE_ATTEMPTS || expectedVersion !== undefined) {
        throw changedConcurrently();
      }
    }
  }

  /**
   * SCIM DELETE: one transaction, conditional on the version (and so the active state) read,
   * deactivates and hides the user and frees the userName; for an active user it also revokes
   * the user's keys and records the purge. An inactive user's purge was recorded when it was
   * deactivated, and its history cannot have grown since. Retried on a concurrent change, as
   * `update` is, so a reactivation landing in between is either seen or refused, never undone.
   */
  async remove(organizationId: string, id: string, expectedVersion?: number): Promise<void> {
    for (let attempt = 1; ; attempt += 1) {
      const user = await this.findVisible(organizationId, id);
      if (!user) {
        throw notFound('User');
      }
      assertVersion(user, expectedVersion);
      const outcome = await serializedTransaction(this.dataSource, (manager) => this.hide(manager, user));
      if (outcome.written) {
        if (user.active) {
          await this.apiKeys.credentialsRevoked();
        }
        if (outcome.purgeId) {
          await this.purges.dispatch(outcome.purgeId);
        }
        return;
      }
      if (attempt >= MAX_WRITE_ATTEMPTS || expectedVersion !== undefined) {
        throw changedConcurrently();
      }
    }
  }

  private async hide(manager: EntityManager, user: User): Promise<{ written: boolean; purgeId: string | null }> {
    const now = this.sql.bindable(User, 'deletedAt', new Date());
    const inactive = this.sql.bindable(User, 'active', false);
    const hidden = await this.sql.run(HIDE, [inactive, `#DELETED:${user.id}`, now, now, user.id, user.version, this.sql.bindable(User, 'active', user.active)], manager);
    if (hidden === 0) {
      return { written: false, purgeId: null };
    }
    if (!user.active) {
      return { written: true, purgeId: null };
    }
    await this.apiKeys.revokeAllOwnedBy(manager, user.id);
    await this.database.joinTypeormTransaction(manager, () => this.sessions.revokeAllOfUser(user.id));
    const { purgeId } = await this.purges.record(manager, user);
    return { written: true, purgeId };
  }

  private async deactivate(manager: EntityManager, user: User, change: PlannedChange): Promise<{ written: boolean; purgeId: string | null }> {
    if (!(await this.writeChange(user, change, manager))) {
      return { written: false, purgeId: null };
    }
    await this.apiKeys.revokeAllOwnedBy(manager, user.id);
    await this.database.joinTypeormTransaction(manager, () => this.sessions.revokeAllOfUser(user.id));
    const { purgeId } = await this.purges.record(manager, user);
    return { written: true, purgeId };
  }

  /** False when the row is no longer at the version read (or was deleted meanwhile). */
  private async writeChange(user: User, { next, updatedAt }: PlannedChange, manager?: EntityManager): Promise<boolean> {
    const written = await this.sql.run(
      UPDATE_PROFILE,
      [
        this.sql.bindable(User, 'active', next.active),
        next.givenName,
        next.givenNameFolded,
        next.familyName,
        next.familyNameFolded,
        next.externalId,
        this.sql.bindable(User, 'updatedAt', updatedAt),
        user.id,
        user.version,
      ],
      manager,
    );
    return written > 0;
  }

  private async findVisible(organizationId: string, id: string): Promise<User | null> {
    const [row] = await this.sql.rows(`${this.selectUsers} WHERE ${USERS_ALIAS}.id = ? AND ${USERS_ALIAS}.organization_id = ? AND ${USERS_ALIAS}.deleted_at IS NULL`, [id, organizationId]);
    return row ? this.sql.hydrate(User, row) : null;
  }
}

type PlannedChange = {
  next: Pick<User, 'active' | 'givenName' | 'givenNameFolded' | 'familyName' | 'familyNameFolded' | 'externalId'>;
  deactivating: boolean;
  updatedAt: Date;
};

function assertVersion(user: User, expectedVersion: number | undefined): void {
  if (expectedVersion !== undefined && expectedVersion !== user.version) {
    throw new DomainError(DomainErrorCode.PreconditionFailed, `The user is at version ${user.version}, not ${expectedVersion} (If-Match).`);
  }
}

/** What `changes` does to `user` under the provisioning rules; null when it changes nothing. */
function planChange(user: User, changes: UserChanges, expectedVersion: number | undefined): PlannedChange | null {
  assertVersion(user, expectedVersion);
  if (changes.userName !== undefined && normalizeUserName(changes.userName) !== user.userNameNormalized) {
    throw new DomainError(
      DomainErrorCode.UserNameImmutable,
      `userName cannot be changed (from "${user.userName}" to "${changes.userName}"): this service keeps the userName it was ` +
        'provisioned with. To rename, deactivate this user and provision a new one; deactivation permanently deletes every ' +
        'file and message of the user.',
    );
  }
  const externalId = plannedExternalId(user, changes.externalId);
  const active = changes.active ?? user.active;
  // An inactive user's profile stays wiped: names arrive again with reactivation.
  const givenName = active ? (changes.givenName !== undefined ? changes.givenName : user.givenName) : null;
  const familyName = active ? (changes.familyName !== undefined ? changes.familyName : user.familyName) : null;
  if (active === user.active && givenName === user.givenName && familyName === user.familyName && externalId === user.externalId) {
    return null;
  }
  return {
    next: { active, givenName, givenNameFolded: foldedOrNull(givenName), familyName, familyNameFolded: foldedOrNull(familyName), externalId },
    deactivating: user.active && !active,
    updatedAt: new Date(),
  };
}

/** externalId is immutable (RFC 7643 §2.2): set once while the user has none, then never changed or removed. */
function plannedExternalId(user: User, requested: string | null | undefined): string | null {
  if (requested === undefined || requested === user.externalId || (requested === null && user.externalId === null)) {
    return user.externalId;
  }
  if (user.externalId === null) {
    return requested;
  }
  const change = requested === null ? 'removed' : `changed to "${requested}"`;
  throw new DomainError(
    DomainErrorCode.ExternalIdImmutable,
    `externalId cannot be ${change}: this user is linked to the identity-provider user "${user.externalId}". ` +
      'If the identity provider now holds the person under another user (a re-created app or a migrated account), ' +
      'deactivate and delete this user here and let the identity provider provision them again; deactivation permanently ' +
      'deletes every file and message of the user.',
  );
}

function changedConcurrently(): DomainError {
  return new DomainError(DomainErrorCode.PreconditionFailed, 'The user was changed concurrently; read it again and retry.');
}

function userNameTaken(userName: string): DomainError {
  return new DomainError(
    DomainErrorCode.UserNameTaken,
    `A user with userName "${userName}" already exists (userNames are compared without regard to case, invisible characters or surrounding spaces).`,
  );
}
