import { Injectable } from '@nestjs/common';
import { Database } from '../database/database';
import { readDate } from '../database/sql-values';
import { statement } from '../database/statement';

export type OutstandingRequest = {
  readonly id: string;
  readonly organizationId: string;
  readonly relayStateHash: string;
  readonly returnTo: string;
  readonly expiresAt: Date;
};

type RequestRow = { id: string; organization_id: string; relay_state_hash: string; return_to: string; expires_at: unknown };

const INSERT = statement(
  'sso.requests.insert',
  'INSERT INTO sso_requests (id, organization_id, relay_state_hash, return_to, expires_at) VALUES (?, ?, ?, ?, ?)',
);
const BY_ID = statement<RequestRow>(
  'sso.requests.byId',
  'SELECT id, organization_id, relay_state_hash, return_to, expires_at FROM sso_requests WHERE id = ? AND organization_id = ?',
);
const DELETE = statement('sso.requests.delete', 'DELETE FROM sso_requests WHERE id = ? AND organization_id = ?');
const DELETE_EXPIRED = statement(
  'sso.requests.deleteExpired',
  'DELETE FROM sso_requests WHERE id IN (SELECT id FROM (SELECT id FROM sso_requests WHERE expires_at < ? ORDER BY expires_at LIMIT ?) AS expired)',
);

/** AuthnRequests this service sent and that no response has answered yet. */
@Injectable()
export class SamlRequestsRepository {
  constructor(private readonly database: Database) {}

  async insert(request: OutstandingRequest): Promise<void> {
    await this.database.run(INSERT, [request.id, request.organizationId, request.relayStateHash, request.returnTo, request.expiresAt]);
  }

  /**
   * The request of this organization with this id, removed so that no second response can use it:
   * of two concurrent takers, only the one whose DELETE removed the row gets it.
   */
  async take(id: string, organizationId: string): Promise<OutstandingRequest | null> {
    const row = await this.database.first(BY_ID, [id, organizationId]);
    if (!row) {
      return null;
    }
    const { affected } = await this.database.run(DELETE, [id, organizationId]);
    if (affected === 0) {
      return null;
    }
    return {
      id: row.id,
      organizationId: row.organization_id,
      relayStateHash: row.relay_state_hash,
      returnTo: row.return_to,
      expiresAt: readDate(row.expires_at),
    };
  }

  async deleteExpired(before: Date, limit: number): Promise<number> {
    return (await this.database.run(DELETE_EXPIRED, [before, limit])).affected;
  }
}
