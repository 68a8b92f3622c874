import { Injectable } from '@nestjs/common';
import { Database } from '../database/database';
import { isUniqueViolation } from '../database/database-error';
import { statement } from '../database/statement';

export type RequestNonceRecord = { readonly apiKeyId: string; readonly nonceHash: string; readonly expiresAt: Date };

const INSERT = statement('auth.nonces.insert', 'INSERT INTO request_nonces (api_key_id, nonce_hash, expires_at) VALUES (?, ?, ?)');
// MySQL allows no LIMIT in an IN subquery, but does in a derived table; SQLite takes either.
const DELETE_EXPIRED = statement(
  'auth.nonces.deleteExpired',
  'DELETE FROM request_nonces WHERE expires_at < ? AND (api_key_id, nonce_hash) IN ' +
    '(SELECT api_key_id, nonce_hash FROM (SELECT api_key_id, nonce_hash FROM request_nonces WHERE expires_at < ? ORDER BY expires_at LIMIT ?) AS expired)',
);

/** The request_nonces table: used only when there is no Redis. */
@Injectable()
export class RequestNonceRepository {
  constructor(private readonly database: Database) {}

  /** False when the (key, nonce) row is already there: the primary key decides, atomically. */
  async insertIfAbsent(nonce: RequestNonceRecord): Promise<boolean> {
    try {
      await this.database.run(INSERT, [nonce.apiKeyId, nonce.nonceHash, nonce.expiresAt]);
      return true;
    } catch (error) {
      if (isUniqueViolation(error)) {
        return false;
      }
      throw error;
    }
  }

  /** Deletes at most `limit` rows that expired before `now`; returns how many it deleted. */
  async deleteExpired(now: Date, limit: number): Promise<number> {
    return (await this.database.run(DELETE_EXPIRED, [now, now, limit])).affected;
  }
}
