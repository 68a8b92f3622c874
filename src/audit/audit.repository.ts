import { Injectable } from '@nestjs/common';
import { Database } from '../database/database';
import { readDate, readInteger } from '../database/sql-values';
import { statement } from '../database/statement';
import type { AuditEventType } from './audit-event.entity';

/** A row of the audit trail. */
export type AuditRecord = {
  id: number;
  organizationId: string | null;
  occurredAt: Date;
  type: AuditEventType;
  actorUserId: string | null;
  actorApiKeyId: string | null;
  targetType: string | null;
  targetId: string | null;
  sourceAddress: string | null;
  requestId: string | null;
  detail: string | null;
};

export type NewAuditRecord = Omit<AuditRecord, 'id' | 'occurredAt'>;

type AuditRow = {
  id: unknown;
  organization_id: string | null;
  occurred_at: unknown;
  type: string;
  actor_user_id: string | null;
  actor_api_key_id: string | null;
  target_type: string | null;
  target_id: string | null;
  source_address: string | null;
  request_id: string | null;
  detail: string | null;
};

// occurred_at is left to the column default: the database's clock orders the trail.
const INSERT = statement(
  'audit.insert',
  'INSERT INTO audit_events (organization_id, type, actor_user_id, actor_api_key_id, target_type, target_id, source_address, request_id, detail) ' +
    'VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)',
);
const PAGE = statement<AuditRow>(
  'audit.page',
  'SELECT id, organization_id, occurred_at, type, actor_user_id, actor_api_key_id, target_type, target_id, source_address, request_id, detail ' +
    'FROM audit_events WHERE organization_id = ? ORDER BY id DESC LIMIT ? OFFSET ?',
);
const COUNT = statement<{ total: unknown }>('audit.count', 'SELECT COUNT(*) AS total FROM audit_events WHERE organization_id = ?');

/** The audit_events table. */
@Injectable()
export class AuditRepository {
  constructor(private readonly database: Database) {}

  async insert(event: NewAuditRecord): Promise<void> {
    await this.database.run(INSERT, [
      event.organizationId,
      event.type,
      event.actorUserId,
      event.actorApiKeyId,
      event.targetType,
      event.targetId,
      event.sourceAddress,
      event.requestId,
      event.detail,
    ]);
  }

  /** Newest first. */
  async page(organizationId: string, limit: number, offset: number): Promise<{ items: AuditRecord[]; total: number }> {
    const rows = await this.database.rows(PAGE, [organizationId, limit, offset]);
    const total = readInteger((await this.database.first(COUNT, [organizationId]))?.total ?? 0);
    return { items: rows.map(toRecord), total };
  }
}

function toRecord(row: AuditRow): AuditRecord {
  return {
    id: readInteger(row.id),
    organizationId: row.organization_id,
    occurredAt: readDate(row.occurred_at),
    type: row.type as AuditEventType,
    actorUserId: row.actor_user_id,
    actorApiKeyId: row.actor_api_key_id,
    targetType: row.target_type,
    targetId: row.target_id,
    sourceAddress: row.source_address,
    requestId: row.request_id,
    detail: row.detail,
  };
}
