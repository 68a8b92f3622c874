import { Column, CreateDateColumn, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';

export const AUDIT_EVENT_TYPES = [
  'api_key.created',
  'api_key.revoked',
  'scim_credential.issued',
  'scim_credential.revoked',
  'admin.granted',
  'admin.revoked',
  'auth.failed',
  'sso.configured',
  'sso.login',
  'sso.failed',
  'session.revoked',
  'sign_in_link.issued',
  'sign_in_link.used',
  'purge.held',
  'purge.released',
  'purge.cancelled',
  'purge_policy.updated',
  'legal_hold.placed',
  'legal_hold.lifted',
] as const;
export type AuditEventType = (typeof AUDIT_EVENT_TYPES)[number];

@Entity({ name: 'audit_events' })
@Index('IDX_audit_events_organization', ['organizationId', 'id'])
export class AuditEvent {
  /** Increasing, so events of the same instant still list in the order they happened. */
  @PrimaryGeneratedColumn('increment', { type: 'integer' })
  id!: number;

  /** Null for failures that named no known credential: those reach logs, not an organization. */
  @Column({ name: 'organization_id', type: 'varchar', length: 36, nullable: true })
  organizationId!: string | null;

  @CreateDateColumn({ name: 'occurred_at' })
  occurredAt!: Date;

  @Column({ type: 'varchar', length: 64 })
  type!: AuditEventType;

  /** Who: the acting user (admin API) or the API key behind a SCIM credential. */
  @Column({ name: 'actor_user_id', type: 'varchar', length: 36, nullable: true })
  actorUserId!: string | null;

  @Column({ name: 'actor_api_key_id', type: 'varchar', length: 36, nullable: true })
  actorApiKeyId!: string | null;

  /** What: e.g. `api_key` and its id, or the username that failed to authenticate. */
  @Column({ name: 'target_type', type: 'varchar', length: 32, nullable: true })
  targetType!: string | null;

  @Column({ name: 'target_id', type: 'varchar', length: 255, nullable: true })
  targetId!: string | null;

  @Column({ name: 'source_address', type: 'varchar', length: 64, nullable: true })
  sourceAddress!: string | null;

  @Column({ name: 'request_id', type: 'varchar', length: 128, nullable: true })
  requestId!: string | null;

  /** A short, secret-free reason such as `wrong_password`. */
  @Column({ type: 'varchar', length: 255, nullable: true })
  detail!: string | null;
}
