import { Injectable } from '@nestjs/common';
import { Database } from '../database/database';
import { statement } from '../database/statement';

export type NewSignInLink = { tokenHash: string; organizationId: string; userId: string; createdAt: Date; expiresAt: Date };
export type ConsumedSignInLink = { organizationId: string; userId: string };

const INSERT = statement(
  'signInLinks.insert',
  'INSERT INTO sign_in_links (token_hash, organization_id, user_id, created_at, expires_at) VALUES (?, ?, ?, ?, ?)',
);
// The one statement that decides: of two concurrent uses, only one sees an affected row.
const CONSUME = statement(
  'signInLinks.consume',
  'UPDATE sign_in_links SET used_at = ? WHERE token_hash = ? AND organization_id = ? AND used_at IS NULL AND expires_at > ?',
);
const BY_TOKEN_HASH = statement<{ organization_id: string; user_id: string }>(
  'signInLinks.byTokenHash',
  'SELECT organization_id, user_id FROM sign_in_links WHERE token_hash = ?',
);
const DELETE_EXPIRED = statement('signInLinks.deleteExpired', 'DELETE FROM sign_in_links WHERE expires_at < ?');

/** The sign_in_links table: token hashes only. */
@Injectable()
export class SignInLinksRepository {
  constructor(private readonly database: Database) {}

  async insert(link: NewSignInLink): Promise<void> {
    await this.database.run(INSERT, [link.tokenHash, link.organizationId, link.userId, link.createdAt, link.expiresAt]);
  }

  /** Marks the link used if it is unused and unexpired, and says whose it was; null otherwise. */
  async consume(tokenHash: string, organizationId: string, now: Date): Promise<ConsumedSignInLink | null> {
    if ((await this.database.run(CONSUME, [now, tokenHash, organizationId, now])).affected !== 1) {
      return null;
    }
    const row = await this.database.first(BY_TOKEN_HASH, [tokenHash]);
    return row ? { organizationId: row.organization_id, userId: row.user_id } : null;
  }

  async deleteExpired(before: Date): Promise<number> {
    return (await this.database.run(DELETE_EXPIRED, [before])).affected;
  }
}
