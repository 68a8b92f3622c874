import { Column, CreateDateColumn, Entity, Index, JoinColumn, ManyToOne, PrimaryColumn, UpdateDateColumn, VersionColumn } from 'typeorm';
import { User } from '../users/user.entity';

/**
 * `merged`: a later purge of the same user took over this one's scope before it completed (see PurgeScheduler).
 * `held`: waiting for an administrator (mass deactivation) or for a legal hold to be lifted; `scheduled`: waiting
 * for its grace period to end (runAfter); `cancelled`: the user was reactivated while it waited, nothing deleted.
 * Held and scheduled purges still have the user's data keys to destroy.
 */
export const PURGE_STATES = ['pending', 'running', 'completed', 'failed', 'merged', 'held', 'scheduled', 'cancelled'] as const;
/** The states of a purge that has work left, which a later purge of its user takes over. */
export const OPEN_PURGE_STATES = ['pending', 'running', 'failed'] as const satisfies readonly PurgeState[];
export type PurgeState = (typeof PURGE_STATES)[number];
/** The states of a purge that waits before it may run; reactivating the user cancels it. */
export const WAITING_PURGE_STATES = ['held', 'scheduled'] as const satisfies readonly PurgeState[];
export const HOLD_REASONS = ['mass_deactivation', 'legal_hold'] as const;
export type HoldReason = (typeof HOLD_REASONS)[number];

/**
 * The durable record of one purge of a user's history, written in the deactivation's own
 * transaction. It deletes exactly the items whose ids are at most the cutoffs taken then, so
 * items added after a reactivation survive.
 */
@Entity({ name: 'purges' })
@Index('IDX_purges_organization_requested', ['organizationId', 'requestedAt'])
@Index('IDX_purges_state_next_attempt', ['state', 'nextAttemptAt'])
@Index('IDX_purges_user', ['userId', 'requestedAt'])
@Index('IDX_purges_merged_into', ['mergedIntoId'])
export class Purge {
  @PrimaryColumn({ type: 'varchar', length: 36 })
  id!: string;

  @Column({ name: 'organization_id', type: 'varchar', length: 36 })
  organizationId!: string;

  @Column({ name: 'user_id', type: 'varchar', length: 36 })
  userId!: string;

  @ManyToOne(() => User, { onDelete: 'RESTRICT', onUpdate: 'NO ACTION' })
  @JoinColumn({ name: 'user_id', foreignKeyConstraintName: 'FK_purges_user' })
  user?: User;

  /** The userName at the time of the request, for the receipt. */
  @Column({ name: 'user_name', type: 'varchar', length: 255 })
  userName!: string;

  @Column({ type: 'varchar', length: 16, default: 'pending' })
  state!: PurgeState;

  /** Highest message / file id of the user when the purge was requested (0: none). */
  @Column({ name: 'message_cutoff_id', type: 'integer' })
  messageCutoffId!: number;

  @Column({ name: 'file_cutoff_id', type: 'integer' })
  fileCutoffId!: number;

  @Column({ name: 'messages_total', type: 'integer', default: 0 })
  messagesTotal!: number;

  @Column({ name: 'files_total', type: 'integer', default: 0 })
  filesTotal!: number;

  @Column({ name: 'messages_deleted', type: 'integer', default: 0 })
  messagesDeleted!: number;

  @Column({ name: 'files_deleted', type: 'integer', default: 0 })
  filesDeleted!: number;

  @Column({ name: 'bytes_deleted', type: 'bigint', default: 0 })
  bytesDeleted!: string;

  /** SHA-256 over the sorted ids of everything deleted (see PurgedItem), set on completion. */
  @Column({ name: 'receipt_digest', type: 'varchar', length: 64, nullable: true })
  receiptDigest!: string | null;

  @Column({ type: 'integer', default: 0 })
  attempts!: number;

  @Column({ name: 'last_error', type: 'varchar', length: 1000, nullable: true })
  lastError!: string | null;

  @CreateDateColumn({ name: 'requested_at' })
  requestedAt!: Date;

  // The timings below keep microseconds like requested_at, so a receipt's times are ordered
  // exactly (a plain MySQL datetime would truncate them to the second).

  @Column({ name: 'started_at', type: 'datetime', precision: 6, nullable: true })
  startedAt!: Date | null;

  @Column({ name: 'completed_at', type: 'datetime', precision: 6, nullable: true })
  completedAt!: Date | null;

  /** When a pending or failed purge may next be attempted (backoff). */
  @Column({ name: 'next_attempt_at', type: 'datetime', precision: 6, nullable: true })
  nextAttemptAt!: Date | null;

  /** A running purge whose lease expired is taken over by the reconciler. */
  @Column({ name: 'lease_expires_at', type: 'datetime', precision: 6, nullable: true })
  leaseExpiresAt!: Date | null;

  @Column({ name: 'lease_owner', type: 'varchar', length: 64, nullable: true })
  leaseOwner!: string | null;

  /** The later purge of the same user that took this one over (state `merged`); its receipt counts what this one deleted. */
  @Column({ name: 'merged_into_id', type: 'varchar', length: 36, nullable: true })
  mergedIntoId!: string | null;

  /** When the purge's data keys were last destroyed (by the deactivation, or by the purge's first step). */
  @Column({ name: 'data_keys_destroyed_at', type: 'datetime', precision: 6, nullable: true })
  dataKeysDestroyedAt!: Date | null;

  /** JSON array of {id, destroyedAt}: the user's data keys destroyed for this purge (and the purges merged into it). */
  @Column({ name: 'data_keys_destroyed', type: 'text', nullable: true })
  dataKeysDestroyed!: string | null;

  /** JSON array of data key ids the purge destroys as its first step; null when none are left to destroy. */
  @Column({ name: 'data_key_ids_to_destroy', type: 'text', nullable: true })
  dataKeyIdsToDestroy!: string | null;

  /** Why the purge is (or was) held; null when it never was. */
  @Column({ name: 'hold_reason', type: 'varchar', length: 32, nullable: true })
  holdReason!: HoldReason | null;

  /** When a scheduled purge becomes pending (deactivation or, for a released one, its request, plus the grace period). */
  @Column({ name: 'run_after', type: 'datetime', precision: 6, nullable: true })
  runAfter!: Date | null;

  /** When the user's reactivation cancelled the waiting purge. */
  @Column({ name: 'cancelled_at', type: 'datetime', precision: 6, nullable: true })
  cancelledAt!: Date | null;

  /** When and by whom (administrator user id, null when lifting a legal hold did it on its own) a held purge was released. */
  @Column({ name: 'released_at', type: 'datetime', precision: 6, nullable: true })
  releasedAt!: Date | null;

  @Column({ name: 'released_by', type: 'varchar', length: 36, nullable: true })
  releasedBy!: string | null;

  @UpdateDateColumn({ name: 'updated_at' })
  updatedAt!: Date;

  @VersionColumn({ default: 1 })
  version!: number;
}
