import { Injectable } from '@nestjs/common';
import { foldCase, normalizeUserName } from './caseless-text';
import { UserRole } from './user.entity';
import { UserRecord, UsersRepository } from './users.repository';

/** What sign-in needs to know of a user: who they are and whether they may sign in. */
export type DirectoryUser = {
  readonly id: string;
  readonly organizationId: string;
  readonly userName: string;
  readonly givenName: string | null;
  readonly familyName: string | null;
  readonly role: UserRole;
  readonly active: boolean;
  readonly deleted: boolean;
};

/**
 * Read-only lookups of users for sign-in, inside one organization. The userName is compared as SCIM
 * compares it (`normalizeUserName`), so a NameID finds exactly the user SCIM provisioned.
 */
@Injectable()
export class UserDirectory {
  constructor(private readonly users: UsersRepository) {}

  /** The user (active or not; deleted users are not found) whose userName is `userName`. */
  async findByUserName(organizationId: string, userName: string, options: { lockShared?: boolean } = {}): Promise<DirectoryUser | null> {
    const user = await this.users.findByUserNameKey(organizationId, normalizeUserName(userName), options.lockShared ?? false);
    return user ? toDirectoryUser(user) : null;
  }

  /** True when a deleted user of this organization had this userName. */
  async wasDeleted(organizationId: string, userName: string): Promise<boolean> {
    const key = normalizeUserName(userName);
    const candidates = await this.users.deletedCandidates(organizationId, userName, foldCase(userName));
    return candidates.some((user) => normalizeUserName(user.userName) === key);
  }

  /** The user with this id in this organization, deleted ones included (`deleted` says so). */
  async findById(organizationId: string, id: string): Promise<DirectoryUser | null> {
    const user = await this.users.findById(organizationId, id);
    return user ? toDirectoryUser(user) : null;
  }
}

function toDirectoryUser(user: UserRecord): DirectoryUser {
  return {
    id: user.id,
    organizationId: user.organizationId,
    userName: user.userName,
    givenName: user.givenName,
    familyName: user.familyName,
    role: user.role,
    active: user.active,
    deleted: user.deletedAt !== null,
  };
}
