import { Injectable } from '@nestjs/common';
import { Database } from '../../database/database';
import { readDate } from '../../database/sql-values';
import { statement } from '../../database/statement';

export type LegalHoldRecord = {
  readonly userId: string;
  readonly organizationId: string;
  readonly reason: string;
  readonly placedBy: string;
  readonly placedAt: Date;
};

type LegalHoldRow = { user_id: string; organization_id: string; reason: string; placed_by: string; placed_at: unknown };

const COLUMNS = 'user_id, organization_id, reason, placed_by, placed_at';
const BY_USER = statement<LegalHoldRow>('retention.legalHolds.byUser', `SELECT ${COLUMNS} FROM legal_holds WHERE user_id = ?`);
// Inside a deactivation: a locking read sees a hold committed after the transaction's snapshot (MySQL).
const BY_USER_SHARED = statement<LegalHoldRow>(
  'retention.legalHolds.byUserShared',
  `SELECT ${COLUMNS} FROM legal_holds WHERE user_id = ?`,
  {
    lock: 'share',
  },
);
const INSERT = statement('retention.legalHolds.insert', `INSERT INTO legal_holds (${COLUMNS}) VALUES (?, ?, ?, ?, ?)`);
const UPDATE_REASON = statement('retention.legalHolds.updateReason', 'UPDATE legal_holds SET reason = ? WHERE user_id = ?');
const DELETE = statement('retention.legalHolds.delete', 'DELETE FROM legal_holds WHERE user_id = ?');

/** The legal_holds table: at most one hold per user. Writes run with the user's row locked by the caller. */
@Injectable()
export class LegalHoldRepository {
  constructor(private readonly database: Database) {}

  async find(userId: string): Promise<LegalHoldRecord | null> {
    const row = await this.database.first(BY_USER, [userId]);
    return row ? toRecord(row) : null;
  }

  /** Inside the deactivation's transaction. */
  async isHeld(userId: string): Promise<boolean> {
    return (await this.database.first(BY_USER_SHARED, [userId])) !== null;
  }

  async insert(hold: LegalHoldRecord): Promise<void> {
    await this.database.run(INSERT, [hold.userId, hold.organizationId, hold.reason, hold.placedBy, hold.placedAt]);
  }

  async updateReason(userId: string, reason: string): Promise<void> {
    await this.database.run(UPDATE_REASON, [reason, userId]);
  }

  async delete(userId: string): Promise<boolean> {
    return (await this.database.run(DELETE, [userId])).affected === 1;
  }
}

function toRecord(row: LegalHoldRow): LegalHoldRecord {
  return {
    userId: row.user_id,
    organizationId: row.organization_id,
    reason: row.reason,
    placedBy: row.placed_by,
    placedAt: readDate(row.placed_at),
  };
}
