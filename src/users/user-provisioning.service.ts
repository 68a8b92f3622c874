import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { ApiKeysService } from '../api-keys/api-keys.service';
import { AuditService } from '../audit/audit.service';
import { DomainError, DomainErrorCode, notFound } from '../common/domain-error';
import { Database } from '../database/database';
import { isUniqueViolation } from '../database/database-error';
import { DeactivationLock, PurgeScheduler } from '../retention/purge-scheduler';
import { SessionsService } from '../sessions/sessions.service';
import { foldedOrNull, normalizeUserName, userNameKeyForNewUser } from './caseless-text';
import type { UserFilter } from './search/user-filter';
import { NewUser, UserChanges } from './user-changes';
import { ProfileChange, UserPage, UserRecord, UsersRepository } from './users.repository';

export type { UserPage } from './users.repository';

const MAX_WRITE_ATTEMPTS = 3;

/**
 * The provisioning rules: create, rename-free profile updates, deactivation (which wipes the
 * profile, revokes the user's keys and sessions and records the purge in the same transaction),
 * reactivation and deletion. Every method is scoped to one organization.
 */
@Injectable()
export class UserProvisioningService {
  constructor(
    private readonly database: Database,
    private readonly users: UsersRepository,
    private readonly apiKeys: ApiKeysService,
    private readonly purges: PurgeScheduler,
    private readonly sessions: SessionsService,
    private readonly audit: AuditService,
  ) {}

  /** One INSERT: the unique index, not a prior read, decides between 201 and 409 (also under races). */
  async create(organizationId: string, input: NewUser): Promise<UserRecord> {
    const now = new Date();
    const givenName = input.active ? input.givenName : null;
    const familyName = input.active ? input.familyName : null;
    const user: UserRecord = {
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
    };
    try {
      // Autocommit: one INSERT needs no transaction of its own.
      await this.users.insert(user);
    } catch (error) {
      if (isUniqueViolation(error)) {
        throw userNameTaken(input.userName);
      }
      throw error;
    }
    return user;
  }

  async get(organizationId: string, id: string): Promise<UserRecord> {
    const user = await this.users.findVisible(organizationId, id);
    if (!user) {
      throw notFound('User');
    }
    return user;
  }

  /**
   * A stable order (creation, then id) so pages never overlap or skip. With `timeLimitMs` each
   * query is stopped by MySQL/MariaDB past it (StatementTimeLimitExceeded).
   */
  list(organizationId: string, filter: UserFilter | null, offset: number, limit: number, timeLimitMs?: number): Promise<UserPage> {
    return this.users.search(organizationId, filter, offset, limit, timeLimitMs);
  }

  /**
   * Applies changes atomically; `expectedVersion` (from If-Match) must match when given. Changes
   * given as a function are read only once the user is found, so an unknown id is a 404 whatever
   * the body holds. The write is conditional on the version read (optimistic): a name change is
   * that one UPDATE, needing no transaction; a deactivation adds, in one transaction with it, the
   * revocation of the user's keys and sessions and the purge record.
   */
  async update(
    organizationId: string,
    id: string,
    changes: UserChanges | (() => UserChanges),
    expectedVersion?: number,
  ): Promise<UserRecord> {
    let requested: UserChanges | undefined = typeof changes === 'function' ? undefined : changes;
    for (let attempt = 1; ; attempt += 1) {
      const user = await this.users.findVisible(organizationId, id);
      if (!user) {
        throw notFound('User');
      }
      requested ??= (changes as () => UserChanges)();
      const change = planChange(user, requested, expectedVersion);
      if (!change) {
        return user;
      }
      if (change.deactivating) {
        await this.purges.prepare(organizationId);
      }
      const written = change.deactivating
        ? await this.database.transaction(() => this.deactivate(user, change))
        : change.reactivating
          ? await this.database.transaction(() => this.reactivate(user, change))
          : await this.writeChange(user, change);
      if (written) {
        // The row is exactly this now: the UPDATE matched the version read and set every changed column.
        return { ...user, ...change.next, version: user.version + 1 };
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
   * the user's keys and sessions and records the purge. An inactive user's purge was recorded when
   * it was deactivated, and its history cannot have grown since. Retried on a concurrent change, as
   * `update` is, so a reactivation landing in between is either seen or refused, never undone.
   */
  async remove(organizationId: string, id: string, expectedVersion?: number): Promise<void> {
    for (let attempt = 1; ; attempt += 1) {
      const user = await this.users.findVisible(organizationId, id);
      if (!user) {
        throw notFound('User');
      }
      assertVersion(user, expectedVersion);
      if (user.active) {
        await this.purges.prepare(organizationId);
      }
      const written = await this.database.transaction(async () => {
        const lock = user.active ? await this.purges.lockForDeactivation(organizationId) : null;
        if (!(await this.users.hide(user, `#DELETED:${user.id}`, new Date()))) {
          return false;
        }
        if (lock) {
          await this.endAccessAndRecordPurge(user, lock);
        }
        return true;
      });
      if (written) {
        return;
      }
      if (attempt >= MAX_WRITE_ATTEMPTS || expectedVersion !== undefined) {
        throw changedConcurrently();
      }
    }
  }

  private async deactivate(user: UserRecord, change: PlannedChange): Promise<boolean> {
    const lock = await this.purges.lockForDeactivation(user.organizationId);
    if (!(await this.writeChange(user, change))) {
      return false;
    }
    await this.endAccessAndRecordPurge(user, lock);
    return true;
  }

  /**
   * A purge of the user still waiting (held, or in its grace period) is cancelled in the same
   * transaction as the reactivation: the user keeps their content and data keys. One that became
   * pending first has destroyed the keys already and runs as any pending purge.
   */
  private async reactivate(user: UserRecord, change: PlannedChange): Promise<boolean> {
    if (!(await this.writeChange(user, change))) {
      return false;
    }
    await this.purges.cancelWaiting({ id: user.id, organizationId: user.organizationId, userName: user.userName });
    return true;
  }

  /**
   * Inside the deactivation's transaction, after its conditional write: the user's keys and
   * credentials (cached ones forgotten after commit), sessions, and the purge record (queued after
   * commit) all commit with it or not at all.
   */
  private async endAccessAndRecordPurge(user: UserRecord, lock: DeactivationLock): Promise<void> {
    await this.apiKeys.revokeAllOwnedBy(user.id);
    const endedSessions = await this.sessions.revokeAllOfUser(user.id);
    if (endedSessions > 0) {
      await this.audit.record(
        {
          organizationId: user.organizationId,
          type: 'session.revoked',
          targetType: 'user',
          targetId: user.id,
          detail: `user_deactivated:${endedSessions}`,
        },
        { sourceAddress: null, requestId: null },
      );
    }
    await this.purges.record({ id: user.id, organizationId: user.organizationId, userName: user.userName }, lock);
  }

  /** False when the row is no longer at the version read (or was deleted meanwhile). */
  private writeChange(user: UserRecord, { next }: PlannedChange): Promise<boolean> {
    return this.users.updateProfile(user.id, user.version, next);
  }
}

type PlannedChange = { next: ProfileChange; deactivating: boolean; reactivating: boolean };

function assertVersion(user: UserRecord, expectedVersion: number | undefined): void {
  if (expectedVersion !== undefined && expectedVersion !== user.version) {
    throw new DomainError(DomainErrorCode.PreconditionFailed, `The user is at version ${user.version}, not ${expectedVersion} (If-Match).`);
  }
}

/** What `changes` does to `user` under the provisioning rules; null when it changes nothing. */
function planChange(user: UserRecord, changes: UserChanges, expectedVersion: number | undefined): PlannedChange | null {
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
    next: {
      active,
      givenName,
      givenNameFolded: foldedOrNull(givenName),
      familyName,
      familyNameFolded: foldedOrNull(familyName),
      externalId,
      updatedAt: new Date(),
    },
    deactivating: user.active && !active,
    reactivating: !user.active && active,
  };
}

/** externalId is immutable (RFC 7643 §2.2): set once while the user has none, then never changed or removed. */
function plannedExternalId(user: UserRecord, requested: string | null | undefined): string | null {
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
