import { Injectable } from '@nestjs/common';
import { Database } from '../database/database';
import { isUniqueViolation } from '../database/database-error';
import { statement } from '../database/statement';

const INSERT = statement(
  'sso.assertionIds.insert',
  'INSERT INTO saml_assertion_ids (organization_id, assertion_id_hash, expires_at) VALUES (?, ?, ?)',
);
const DELETE_EXPIRED = statement(
  'sso.assertionIds.deleteExpired',
  'DELETE FROM saml_assertion_ids WHERE (organization_id, assertion_id_hash) IN ' +
    '(SELECT organization_id, assertion_id_hash FROM (SELECT organization_id, assertion_id_hash FROM saml_assertion_ids WHERE expires_at < ? ORDER BY expires_at LIMIT ?) AS expired)',
);

/** Accepted assertion ids, when there is no Redis: the primary key lets each in once, across processes. */
@Injectable()
export class AssertionIdsRepository {
  constructor(private readonly database: Database) {}

  /** False when this id was already accepted for this organization. */
  async insertIfAbsent(organizationId: string, assertionIdHash: string, expiresAt: Date): Promise<boolean> {
    try {
      await this.database.run(INSERT, [organizationId, assertionIdHash, expiresAt]);
      return true;
    } catch (error) {
      if (isUniqueViolation(error)) {
        return false;
      }
      throw error;
    }
  }

  async deleteExpired(before: Date, limit: number): Promise<number> {
    return (await this.database.run(DELETE_EXPIRED, [before, limit])).affected;
  }
}
