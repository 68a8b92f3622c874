import { Injectable } from '@nestjs/common';
import { Database } from '../database/database';
import { readBoolean, readNullableDate } from '../database/sql-values';
import { statement } from '../database/statement';
import { foldCase, normalizeUserName } from './caseless-text';
import { UserRole } from './user.entity';

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

type DirectoryRow = {
  id: string;
  organization_id: string;
  user_name: string;
  given_name: string | null;
  family_name: string | null;
  role: string;
  active: unknown;
  deleted_at: unknown;
};

const COLUMNS = 'id, organization_id, user_name, given_name, family_name, role, active, deleted_at';
const BY_USER_NAME_KEY = statement<DirectoryRow>('users.directory.byUserNameKey', `SELECT ${COLUMNS} FROM users WHERE organization_id = ? AND user_name_normalized = ?`);
// Inside a sign-in's transaction: a deactivation of this user waits for the sign-in, or the sign-in for it.
const BY_USER_NAME_KEY_SHARED = statement<DirectoryRow>(
  'users.directory.byUserNameKeyShared',
  `SELECT ${COLUMNS} FROM users WHERE organization_id = ? AND user_name_normalized = ?`,
  { lock: 'share' },
);
const BY_ID = statement<DirectoryRow>('users.directory.byId', `SELECT ${COLUMNS} FROM users WHERE id = ? AND organization_id = ?`);
// A SCIM DELETE frees the userName key, so a deleted user is found by what the row still holds.
const DELETED_CANDIDATES = statement<DirectoryRow>(
  'users.directory.deletedCandidates',
  `SELECT ${COLUMNS} FROM users WHERE organization_id = ? AND deleted_at IS NOT NULL AND (user_name = ? OR email_folded = ?) ORDER BY deleted_at DESC LIMIT 20`,
);

/**
 * Read-only lookups of users for sign-in, inside one organization. The userName is compared as SCIM
 * compares it (`normalizeUserName`), so a NameID finds exactly the user SCIM provisioned.
 */
@Injectable()
export class UserDirectory {
  constructor(private readonly database: Database) {}

  /** The user (active or not; deleted users are not found) whose userName is `userName`. */
  async findByUserName(organizationId: string, userName: string, options: { lockShared?: boolean } = {}): Promise<DirectoryUser | null> {
    const row = await this.database.first(options.lockShared ? BY_USER_NAME_KEY_SHARED : BY_USER_NAME_KEY, [organizationId, normalizeUserName(userName)]);
    return row ? toUser(row) : null;
  }

  /** True when a deleted user of this organization had this userName. */
  async wasDeleted(organizationId: string, userName: string): Promise<boolean> {
    const key = normalizeUserName(userName);
    const rows = await this.database.rows(DELETED_CANDIDATES, [organizationId, userName, foldCase(userName)]);
    return rows.some((row) => normalizeUserName(row.user_name) === key);
  }

  /** The user with this id in this organization, deleted ones included (`deleted` says so). */
  async findById(organizationId: string, id: string): Promise<DirectoryUser | null> {
    const row = await this.database.first(BY_ID, [id, organizationId]);
    return row ? toUser(row) : null;
  }
}

function toUser(row: DirectoryRow): DirectoryUser {
  return {
    id: row.id,
    organizationId: row.organization_id,
    userName: row.user_name,
    givenName: row.given_name,
    familyName: row.family_name,
    role: row.role === 'admin' ? 'admin' : 'user',
    active: readBoolean(row.active),
    deleted: readNullableDate(row.deleted_at) !== null,
  };
}
