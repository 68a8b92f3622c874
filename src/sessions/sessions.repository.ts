import { Injectable } from '@nestjs/common';
import { Database } from '../database/database';
import { readDate, readNullableDate } from '../database/sql-values';
import { statement } from '../database/statement';

// sign_in_link: a one-time link from the CLI (src/sign-in-links), the way in before SSO exists.
export type LoginFlow = 'sp_initiated' | 'idp_initiated' | 'sign_in_link';
const LOGIN_FLOWS: readonly LoginFlow[] = ['sp_initiated', 'idp_initiated', 'sign_in_link'];

export type SessionRecord = {
  readonly id: string;
  readonly organizationId: string;
  readonly userId: string;
  readonly loginFlow: LoginFlow;
  readonly createdAt: Date;
  readonly lastSeenAt: Date;
  readonly expiresAt: Date;
  readonly revokedAt: Date | null;
};

export type NewSession = Omit<SessionRecord, 'revokedAt'> & { readonly tokenHash: string };

type SessionRow = {
  id: string;
  organization_id: string;
  user_id: string;
  login_flow: string;
  created_at: unknown;
  last_seen_at: unknown;
  expires_at: unknown;
  revoked_at: unknown;
};

const COLUMNS = 'id, organization_id, user_id, login_flow, created_at, last_seen_at, expires_at, revoked_at';
const INSERT = statement(
  'sessions.insert',
  'INSERT INTO sessions (id, token_hash, organization_id, user_id, login_flow, created_at, last_seen_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
);
const BY_TOKEN_HASH = statement<SessionRow>('sessions.byTokenHash', `SELECT ${COLUMNS} FROM sessions WHERE token_hash = ?`);
// Written at most once per interval per session (the condition), so reads stay reads.
const TOUCH = statement('sessions.touch', 'UPDATE sessions SET last_seen_at = ? WHERE id = ? AND last_seen_at < ? AND revoked_at IS NULL');
const REVOKE = statement('sessions.revoke', 'UPDATE sessions SET revoked_at = ?, revoked_reason = ? WHERE id = ? AND revoked_at IS NULL');
const REVOKE_OF_USER = statement(
  'sessions.revokeOfUser',
  'UPDATE sessions SET revoked_at = ?, revoked_reason = ? WHERE user_id = ? AND revoked_at IS NULL',
);
const REVOKE_OF_ORGANIZATION = statement(
  'sessions.revokeOfOrganization',
  'UPDATE sessions SET revoked_at = ?, revoked_reason = ? WHERE organization_id = ? AND revoked_at IS NULL',
);
// MySQL allows no LIMIT in an IN subquery, but does in a derived table; SQLite takes either.
const DELETE_ENDED = statement(
  'sessions.deleteEnded',
  'DELETE FROM sessions WHERE id IN (SELECT id FROM (SELECT id FROM sessions WHERE expires_at < ? ORDER BY expires_at LIMIT ?) AS ended)',
);

/** The sessions table. */
@Injectable()
export class SessionsRepository {
  constructor(private readonly database: Database) {}

  async insert(session: NewSession): Promise<void> {
    await this.database.run(INSERT, [
      session.id,
      session.tokenHash,
      session.organizationId,
      session.userId,
      session.loginFlow,
      session.createdAt,
      session.lastSeenAt,
      session.expiresAt,
    ]);
  }

  async findByTokenHash(tokenHash: string): Promise<SessionRecord | null> {
    const row = await this.database.first(BY_TOKEN_HASH, [tokenHash]);
    return row ? toRecord(row) : null;
  }

  async touch(id: string, now: Date, ifSeenBefore: Date): Promise<void> {
    await this.database.run(TOUCH, [now, id, ifSeenBefore]);
  }

  /** True when this call revoked it (it was open). */
  async revoke(id: string, now: Date, reason: string): Promise<boolean> {
    return (await this.database.run(REVOKE, [now, reason, id])).affected > 0;
  }

  async revokeAllOfUser(userId: string, now: Date, reason: string): Promise<number> {
    return (await this.database.run(REVOKE_OF_USER, [now, reason, userId])).affected;
  }

  async revokeAllOfOrganization(organizationId: string, now: Date, reason: string): Promise<number> {
    return (await this.database.run(REVOKE_OF_ORGANIZATION, [now, reason, organizationId])).affected;
  }

  /** Deletes at most `limit` sessions that ended before `before`; returns how many. */
  async deleteEnded(before: Date, limit: number): Promise<number> {
    return (await this.database.run(DELETE_ENDED, [before, limit])).affected;
  }
}

function toRecord(row: SessionRow): SessionRecord {
  return {
    id: row.id,
    organizationId: row.organization_id,
    userId: row.user_id,
    loginFlow: LOGIN_FLOWS.find((flow) => flow === row.login_flow) ?? 'sp_initiated',
    createdAt: readDate(row.created_at),
    lastSeenAt: readDate(row.last_seen_at),
    expiresAt: readDate(row.expires_at),
    revokedAt: readNullableDate(row.revoked_at),
  };
}
