import { Injectable } from '@nestjs/common';
import { filterDialectOf } from '../database/comparison-dialect';
import { Database } from '../database/database';
import { isTimeLimitExceeded } from '../database/database-error';
import { readBoolean, readDate, readInteger, readNullableDate, SqlParameter } from '../database/sql-values';
import { statement, statementFamily } from '../database/statement';
import { StatementTimeLimitExceeded } from '../database/statement-time-limit';
import type { UserFilter } from './search/user-filter';
import { userFilterToPositionalSql } from './search/user-filter-sql';
import type { UserRole } from './user.entity';

/** A row of the users table. */
export type UserRecord = {
  id: string;
  organizationId: string;
  userName: string;
  userNameNormalized: string;
  email: string | null;
  emailFolded: string | null;
  givenName: string | null;
  givenNameFolded: string | null;
  familyName: string | null;
  familyNameFolded: string | null;
  externalId: string | null;
  active: boolean;
  role: UserRole;
  createdAt: Date;
  updatedAt: Date;
  version: number;
  deletedAt: Date | null;
};

/** The columns every profile write sets, conditional on the version read. */
export type ProfileChange = Pick<
  UserRecord,
  'active' | 'givenName' | 'givenNameFolded' | 'familyName' | 'familyNameFolded' | 'externalId' | 'updatedAt'
>;

export type UserPage = { users: UserRecord[]; total: number };

export type AdminUserQuery = { active?: boolean; userNamePrefix?: string };

type UserRow = {
  id: string;
  organization_id: string;
  user_name: string;
  user_name_normalized: string;
  email: string | null;
  email_folded: string | null;
  given_name: string | null;
  given_name_folded: string | null;
  family_name: string | null;
  family_name_folded: string | null;
  external_id: string | null;
  active: unknown;
  role: string;
  created_at: unknown;
  updated_at: unknown;
  version: unknown;
  deleted_at: unknown;
};
type CountRow = { total: unknown };
type CountsRow = { total: unknown; active: unknown; administrators: unknown };

// The SCIM filter translation qualifies columns with this alias.
const ALIAS = 'u';
const COLUMN_NAMES = [
  'id',
  'organization_id',
  'user_name',
  'user_name_normalized',
  'email',
  'email_folded',
  'given_name',
  'given_name_folded',
  'family_name',
  'family_name_folded',
  'external_id',
  'active',
  'role',
  'created_at',
  'updated_at',
  'version',
  'deleted_at',
] as const;
const COLUMNS = COLUMN_NAMES.map((name) => `${ALIAS}.${name}`).join(', ');
const VISIBLE_IN_ORGANIZATION = `${ALIAS}.organization_id = ? AND ${ALIAS}.deleted_at IS NULL`;

const INSERT = statement(
  'users.insert',
  `INSERT INTO users (${COLUMN_NAMES.join(', ')}) VALUES (${COLUMN_NAMES.map(() => '?').join(', ')})`,
);
const VISIBLE_BY_ID = statement<UserRow>(
  'users.visibleById',
  `SELECT ${COLUMNS} FROM users ${ALIAS} WHERE ${ALIAS}.id = ? AND ${VISIBLE_IN_ORGANIZATION}`,
);
const VISIBLE_BY_USER_NAME_KEY = statement<UserRow>(
  'users.visibleByUserNameKey',
  `SELECT ${COLUMNS} FROM users ${ALIAS} WHERE ${VISIBLE_IN_ORGANIZATION} AND ${ALIAS}.user_name_normalized = ?`,
);
// Sign-in's lookups (UserDirectory), deleted users included: a SCIM DELETE frees the userName key,
// so a deleted user is found by what the row still holds.
const BY_USER_NAME_KEY = statement<UserRow>(
  'users.directory.byUserNameKey',
  `SELECT ${COLUMNS} FROM users ${ALIAS} WHERE ${ALIAS}.organization_id = ? AND ${ALIAS}.user_name_normalized = ?`,
);
// Inside a sign-in's transaction: a deactivation of this user waits for the sign-in, or the sign-in for it.
const BY_USER_NAME_KEY_SHARED = statement<UserRow>(
  'users.directory.byUserNameKeyShared',
  `SELECT ${COLUMNS} FROM users ${ALIAS} WHERE ${ALIAS}.organization_id = ? AND ${ALIAS}.user_name_normalized = ?`,
  { lock: 'share' },
);
const BY_ID = statement<UserRow>(
  'users.directory.byId',
  `SELECT ${COLUMNS} FROM users ${ALIAS} WHERE ${ALIAS}.id = ? AND ${ALIAS}.organization_id = ?`,
);
// Serialises a legal hold with the user's deactivation, which writes this row first.
const LOCK_BY_ID = statement<UserRow>(
  'users.lockById',
  `SELECT ${COLUMNS} FROM users ${ALIAS} WHERE ${ALIAS}.id = ? AND ${ALIAS}.organization_id = ?`,
  { lock: 'update' },
);
const DELETED_CANDIDATES = statement<UserRow>(
  'users.directory.deletedCandidates',
  `SELECT ${COLUMNS} FROM users ${ALIAS} WHERE ${ALIAS}.organization_id = ? AND ${ALIAS}.deleted_at IS NOT NULL AND (${ALIAS}.user_name = ? OR ${ALIAS}.email_folded = ?) ` +
    `ORDER BY ${ALIAS}.deleted_at DESC LIMIT 20`,
);
// Every change of the mutable columns (names, their folded copies, externalId, the active state) is
// this one statement, conditional on the version read.
const UPDATE_PROFILE = statement(
  'users.updateProfile',
  'UPDATE users SET active = ?, given_name = ?, given_name_folded = ?, family_name = ?, family_name_folded = ?, external_id = ?, updated_at = ?, ' +
    'version = version + 1 WHERE id = ? AND version = ? AND deleted_at IS NULL',
);
// SCIM DELETE: deactivated (profile wiped) and hidden in one statement, conditional on the version
// and active state read. The userName is freed: the key becomes one that no userName folds to
// (folding leaves no ASCII capital).
const HIDE = statement(
  'users.hide',
  'UPDATE users SET active = ?, given_name = NULL, given_name_folded = NULL, family_name = NULL, family_name_folded = NULL, ' +
    'user_name_normalized = ?, deleted_at = ?, updated_at = ?, version = version + 1 WHERE id = ? AND version = ? AND active = ? AND deleted_at IS NULL',
);
// Role changes of one organization queue on its row, so two demotions cannot both see another
// administrator left. SQLite needs no lock: its transaction is already the only writer.
const LOCK_ORGANIZATION = statement('users.lockOrganization', 'SELECT id FROM organizations WHERE id = ?', { lock: 'update' });
const SET_ROLE = statement('users.setRole', 'UPDATE users SET role = ?, updated_at = ?, version = version + 1 WHERE id = ? AND role = ?');
const COUNT_ACTIVE_ADMINISTRATORS = statement<CountRow>(
  'users.countActiveAdministrators',
  `SELECT COUNT(*) AS total FROM users ${ALIAS} WHERE ${VISIBLE_IN_ORGANIZATION} AND ${ALIAS}.role = 'admin' AND ${ALIAS}.active = ?`,
);
const COUNTS = statement<CountsRow>(
  'users.counts',
  `SELECT COUNT(*) AS total, SUM(CASE WHEN ${ALIAS}.active = ? THEN 1 ELSE 0 END) AS active, ` +
    `SUM(CASE WHEN ${ALIAS}.active = ? AND ${ALIAS}.role = 'admin' THEN 1 ELSE 0 END) AS administrators FROM users ${ALIAS} WHERE ${VISIBLE_IN_ORGANIZATION}`,
);

// The admin list: newest first, optionally narrowed by state and a userName prefix (fixed shapes).
type AdminShape = `${'any' | 'active'}-${'any' | 'prefix'}`;
const adminWhere = (shape: AdminShape): string => {
  const [state, prefix] = shape.split('-');
  return (
    `WHERE ${VISIBLE_IN_ORGANIZATION}` +
    (state === 'active' ? ` AND ${ALIAS}.active = ?` : '') +
    (prefix === 'prefix' ? ` AND ${ALIAS}.user_name_normalized LIKE ? ESCAPE '!'` : '')
  );
};
const ADMIN_PAGE = statementFamily<AdminShape, UserRow>(
  'users.adminPage',
  (shape) =>
    `SELECT ${COLUMNS} FROM users ${ALIAS} ${adminWhere(shape)} ORDER BY ${ALIAS}.created_at DESC, ${ALIAS}.id ASC LIMIT ? OFFSET ?`,
);
const ADMIN_COUNT = statementFamily<AdminShape, CountRow>(
  'users.adminCount',
  (shape) => `SELECT COUNT(*) AS total FROM users ${ALIAS} ${adminWhere(shape)}`,
);

// The SCIM list: a stable order (creation, then id) so pages never overlap or skip. The shape is
// the SQL of a translated filter (fixed fragments, values bound), or '' for none.
const SEARCH_PAGE = statementFamily<string, UserRow>(
  'users.searchPage',
  (condition) =>
    `SELECT ${COLUMNS} FROM users ${ALIAS} WHERE ${VISIBLE_IN_ORGANIZATION}${condition ? ` AND ${condition}` : ''} ` +
    `ORDER BY ${ALIAS}.created_at ASC, ${ALIAS}.id ASC LIMIT ? OFFSET ?`,
);
const SEARCH_COUNT = statementFamily<string, CountRow>(
  'users.searchCount',
  (condition) => `SELECT COUNT(*) AS total FROM users ${ALIAS} WHERE ${VISIBLE_IN_ORGANIZATION}${condition ? ` AND ${condition}` : ''}`,
);

/** The users table: every read and write of user rows. */
@Injectable()
export class UsersRepository {
  constructor(private readonly database: Database) {}

  /** One INSERT: a taken userName is a unique-index violation (isUniqueViolation). */
  async insert(user: UserRecord): Promise<void> {
    await this.database.run(INSERT, [
      user.id,
      user.organizationId,
      user.userName,
      user.userNameNormalized,
      user.email,
      user.emailFolded,
      user.givenName,
      user.givenNameFolded,
      user.familyName,
      user.familyNameFolded,
      user.externalId,
      user.active,
      user.role,
      user.createdAt,
      user.updatedAt,
      user.version,
      user.deletedAt,
    ]);
  }

  /** The user with this id in this organization, unless deleted. */
  async findVisible(organizationId: string, id: string): Promise<UserRecord | null> {
    const row = await this.database.first(VISIBLE_BY_ID, [id, organizationId]);
    return row ? toRecord(row) : null;
  }

  /** The user (not deleted) whose userName key (`normalizeUserName`) is `userNameKey`. */
  async findVisibleByUserNameKey(organizationId: string, userNameKey: string): Promise<UserRecord | null> {
    const row = await this.database.first(VISIBLE_BY_USER_NAME_KEY, [organizationId, userNameKey]);
    return row ? toRecord(row) : null;
  }

  /** By userName key, deleted users included (their key no longer matches any userName). `lockShared` only inside a transaction. */
  async findByUserNameKey(organizationId: string, userNameKey: string, lockShared: boolean): Promise<UserRecord | null> {
    const row = await this.database.first(lockShared ? BY_USER_NAME_KEY_SHARED : BY_USER_NAME_KEY, [organizationId, userNameKey]);
    return row ? toRecord(row) : null;
  }

  /** By id, deleted users included. */
  async findById(organizationId: string, id: string): Promise<UserRecord | null> {
    const row = await this.database.first(BY_ID, [id, organizationId]);
    return row ? toRecord(row) : null;
  }

  /** By id, deleted users included, locked until the caller's transaction ends. */
  async lockById(organizationId: string, id: string): Promise<UserRecord | null> {
    const row = await this.database.first(LOCK_BY_ID, [id, organizationId]);
    return row ? toRecord(row) : null;
  }

  /** Deleted users whose userName is `userName` as sent, or whose folded email is `foldedEmail`; newest first, a bounded few. */
  async deletedCandidates(organizationId: string, userName: string, foldedEmail: string): Promise<UserRecord[]> {
    return (await this.database.rows(DELETED_CANDIDATES, [organizationId, userName, foldedEmail])).map(toRecord);
  }

  /** False when the row is no longer at `version` (or was deleted meanwhile). */
  async updateProfile(id: string, version: number, change: ProfileChange): Promise<boolean> {
    const { affected } = await this.database.run(UPDATE_PROFILE, [
      change.active,
      change.givenName,
      change.givenNameFolded,
      change.familyName,
      change.familyNameFolded,
      change.externalId,
      change.updatedAt,
      id,
      version,
    ]);
    return affected > 0;
  }

  /** SCIM DELETE; false when the row is no longer at `version` and `active` (or already deleted). */
  async hide(user: Pick<UserRecord, 'id' | 'version' | 'active'>, deletedUserNameKey: string, now: Date): Promise<boolean> {
    const { affected } = await this.database.run(HIDE, [false, deletedUserNameKey, now, now, user.id, user.version, user.active]);
    return affected > 0;
  }

  /** Inside a transaction: held until it ends. */
  async lockOrganization(organizationId: string): Promise<void> {
    await this.database.first(LOCK_ORGANIZATION, [organizationId]);
  }

  /** False when the role was no longer `from`. */
  async setRole(id: string, from: UserRole, to: UserRole, now: Date): Promise<boolean> {
    return (await this.database.run(SET_ROLE, [to, now, id, from])).affected > 0;
  }

  async countActiveAdministrators(organizationId: string): Promise<number> {
    const row = await this.database.first(COUNT_ACTIVE_ADMINISTRATORS, [organizationId, true]);
    return readInteger(row?.total ?? 0);
  }

  async counts(organizationId: string): Promise<{ total: number; active: number; administrators: number }> {
    const row = await this.database.first(COUNTS, [true, true, organizationId]);
    return { total: readInteger(row?.total ?? 0), active: readSum(row?.active), administrators: readSum(row?.administrators) };
  }

  /** Newest first; the prefix is compared with the userName key (`normalizeUserName` of it). */
  async adminPage(organizationId: string, query: AdminUserQuery, offset: number, limit: number): Promise<UserPage> {
    const shape: AdminShape = `${query.active === undefined ? 'any' : 'active'}-${query.userNamePrefix ? 'prefix' : 'any'}`;
    const values: SqlParameter[] = [organizationId];
    if (query.active !== undefined) {
      values.push(query.active);
    }
    if (query.userNamePrefix) {
      values.push(`${query.userNamePrefix.replace(/[!%_]/g, (character) => `!${character}`)}%`);
    }
    const rows = await this.database.rows(ADMIN_PAGE.of(shape), [...values, limit, offset]);
    const total = readInteger((await this.database.first(ADMIN_COUNT.of(shape), values))?.total ?? 0);
    return { users: rows.map(toRecord), total };
  }

  /**
   * The users matching `filter` (all when null), in creation order. With `timeLimitMs` each query
   * is stopped by MySQL/MariaDB past it (StatementTimeLimitExceeded); SQLite has no such limit.
   */
  async search(
    organizationId: string,
    filter: UserFilter | null,
    offset: number,
    limit: number,
    requestedTimeLimitMs?: number,
  ): Promise<UserPage> {
    // 0 means none (the setting's way to turn the limit off).
    const timeLimitMs = requestedTimeLimitMs ? requestedTimeLimitMs : undefined;
    const condition = filter ? userFilterToPositionalSql(filter, { alias: ALIAS, dialect: filterDialectOf(this.database.dialect) }) : null;
    const shape = condition?.sql ?? '';
    const values: SqlParameter[] = [organizationId, ...(condition?.values ?? [])];
    const count = async (): Promise<number> =>
      readInteger(
        (await this.withinTimeLimit(timeLimitMs, () => this.database.first(SEARCH_COUNT.of(shape, timeLimitMs), values)))?.total ?? 0,
      );
    if (limit === 0) {
      return { users: [], total: await count() };
    }
    const rows = await this.withinTimeLimit(timeLimitMs, () =>
      this.database.rows(SEARCH_PAGE.of(shape, timeLimitMs), [...values, limit, offset]),
    );
    const users = rows.map(toRecord);
    // A first page that is not full holds every match: no COUNT needed (Okta's userName lookups).
    const total = offset === 0 && users.length < limit ? users.length : await count();
    return { users, total };
  }

  private async withinTimeLimit<T>(timeLimitMs: number | undefined, query: () => Promise<T>): Promise<T> {
    try {
      return await query();
    } catch (error) {
      throw timeLimitMs !== undefined && isTimeLimitExceeded(error) ? new StatementTimeLimitExceeded(timeLimitMs, { cause: error }) : error;
    }
  }
}

function readSum(value: unknown): number {
  // SUM over no rows is NULL; MySQL returns a DECIMAL sum as text.
  return value === null || value === undefined ? 0 : Number(value);
}

function toRecord(row: UserRow): UserRecord {
  return {
    id: row.id,
    organizationId: row.organization_id,
    userName: row.user_name,
    userNameNormalized: row.user_name_normalized,
    email: row.email,
    emailFolded: row.email_folded,
    givenName: row.given_name,
    givenNameFolded: row.given_name_folded,
    familyName: row.family_name,
    familyNameFolded: row.family_name_folded,
    externalId: row.external_id,
    active: readBoolean(row.active),
    role: row.role === 'admin' ? 'admin' : 'user',
    createdAt: readDate(row.created_at),
    updatedAt: readDate(row.updated_at),
    version: readInteger(row.version),
    deletedAt: readNullableDate(row.deleted_at),
  };
}
