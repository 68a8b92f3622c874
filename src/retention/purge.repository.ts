import { Injectable } from '@nestjs/common';
import { Database } from '../database/database';
import { inListPlaceholders, paddedInList } from '../database/padded-in-list';
import { readDate, readInteger, readNullableDate } from '../database/sql-values';
import { statement, statementFamily } from '../database/statement';
import { HOLD_REASONS, HoldReason, OPEN_PURGE_STATES, Purge, PURGE_STATES, PurgeState } from './purge.entity';

export type PurgeFilter = { state?: PurgeState; userId?: string };
export type DeletedTotals = { files: number; messages: number; bytes: number };
export type Receipt = DeletedTotals & { digest: string };
/** One data key a purge destroyed (or that a purge merged into it had destroyed), as its receipt shows it. */
export type DestroyedKeyEntry = { id: string; destroyedAt: Date };
export type OpenPurge = Pick<Purge, 'id' | 'state' | 'filesDeleted' | 'messagesDeleted' | 'bytesDeleted'> & {
  dataKeysDestroyed: DestroyedKeyEntry[];
  dataKeyIdsToDestroy: string[];
};
export type NewPurge = {
  id: string;
  organizationId: string;
  userId: string;
  userName: string;
  messageCutoffId: number;
  fileCutoffId: number;
  messagesTotal: number;
  filesTotal: number;
  messagesDeleted: number;
  filesDeleted: number;
  bytesDeleted: string;
  requestedAt: Date;
  dataKeysDestroyedAt: Date | null;
  dataKeysDestroyed: DestroyedKeyEntry[];
  /** Null when the deactivation destroyed every key itself; otherwise the purge's first step destroys these. */
  dataKeyIdsToDestroy: string[] | null;
  state: 'pending' | 'held' | 'scheduled';
  holdReason: HoldReason | null;
  runAfter: Date | null;
};
/** A waiting purge as locked by an administrator's action on it. */
export type LockedWaitingPurge = { id: string; userId: string; state: PurgeState; holdReason: HoldReason | null; requestedAt: Date };

type OpenPurgeRow = {
  id: string;
  state: string;
  files_deleted: unknown;
  messages_deleted: unknown;
  bytes_deleted: unknown;
  data_keys_destroyed: string | null;
  data_key_ids_to_destroy: string | null;
};

// The scheduler's statements (lockOpenForUser, mergeInto, insert). Writes bump version and
// updated_at as TypeORM's own updates of the entity do.
const OPEN_STATES = OPEN_PURGE_STATES.map((state) => `'${state}'`).join(', ');
const OPEN_OF_USER = statement<{ id: string }>(
  'purges.openOfUser',
  `SELECT id FROM purges WHERE user_id = ? AND state IN (${OPEN_STATES}) ORDER BY id`,
);
const LOCK_BY_ID = statement<OpenPurgeRow>(
  'purges.lockById',
  'SELECT id, state, files_deleted, messages_deleted, bytes_deleted, data_keys_destroyed, data_key_ids_to_destroy FROM purges WHERE id = ?',
  {
    lock: 'update',
  },
);
const REPOINT_MERGED = statement(
  'purges.repointMerged',
  'UPDATE purges SET merged_into_id = ?, updated_at = ?, version = version + 1 WHERE id = ?',
);
const MARK_MERGED = statement(
  'purges.markMerged',
  "UPDATE purges SET state = 'merged', merged_into_id = ?, lease_owner = NULL, lease_expires_at = NULL, next_attempt_at = NULL, updated_at = ?, version = version + 1 WHERE id = ?",
);
const INSERT = statement(
  'purges.insert',
  'INSERT INTO purges (id, organization_id, user_id, user_name, state, message_cutoff_id, file_cutoff_id, messages_total, files_total, messages_deleted, ' +
    'files_deleted, bytes_deleted, requested_at, next_attempt_at, updated_at, data_keys_destroyed_at, data_keys_destroyed, data_key_ids_to_destroy, ' +
    'hold_reason, run_after, attempts, version) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0, 1)',
);

/** One purge as stored. */
export type PurgeRecord = {
  readonly id: string;
  readonly organizationId: string;
  readonly userId: string;
  readonly userName: string;
  readonly state: PurgeState;
  readonly messageCutoffId: number;
  readonly fileCutoffId: number;
  readonly messagesTotal: number;
  readonly filesTotal: number;
  readonly messagesDeleted: number;
  readonly filesDeleted: number;
  readonly bytesDeleted: number;
  readonly receiptDigest: string | null;
  readonly attempts: number;
  readonly lastError: string | null;
  readonly requestedAt: Date;
  readonly startedAt: Date | null;
  readonly completedAt: Date | null;
  readonly nextAttemptAt: Date | null;
  readonly leaseExpiresAt: Date | null;
  readonly leaseOwner: string | null;
  readonly mergedIntoId: string | null;
  readonly dataKeysDestroyedAt: Date | null;
  readonly dataKeysDestroyed: DestroyedKeyEntry[];
  /** Null when no key is left for the purge to destroy (none deferred, or its first step did it). */
  readonly dataKeyIdsToDestroy: string[] | null;
  readonly holdReason: HoldReason | null;
  readonly runAfter: Date | null;
  readonly cancelledAt: Date | null;
  readonly releasedAt: Date | null;
  readonly releasedBy: string | null;
};

type PurgeRow = {
  id: string;
  organization_id: string;
  user_id: string;
  user_name: string;
  state: string;
  message_cutoff_id: unknown;
  file_cutoff_id: unknown;
  messages_total: unknown;
  files_total: unknown;
  messages_deleted: unknown;
  files_deleted: unknown;
  bytes_deleted: unknown;
  receipt_digest: string | null;
  attempts: unknown;
  last_error: string | null;
  requested_at: unknown;
  started_at: unknown;
  completed_at: unknown;
  next_attempt_at: unknown;
  lease_expires_at: unknown;
  lease_owner: string | null;
  merged_into_id: string | null;
  data_keys_destroyed_at: unknown;
  data_keys_destroyed: string | null;
  data_key_ids_to_destroy: string | null;
  hold_reason: string | null;
  run_after: unknown;
  cancelled_at: unknown;
  released_at: unknown;
  released_by: string | null;
};

const COLUMNS =
  'id, organization_id, user_id, user_name, state, message_cutoff_id, file_cutoff_id, messages_total, files_total, messages_deleted, files_deleted, ' +
  'bytes_deleted, receipt_digest, attempts, last_error, requested_at, started_at, completed_at, next_attempt_at, lease_expires_at, lease_owner, merged_into_id, ' +
  'data_keys_destroyed_at, data_keys_destroyed, data_key_ids_to_destroy, hold_reason, run_after, cancelled_at, released_at, released_by';
/** Every update keeps the row's bookkeeping as TypeORM's entity did: the update time and the version. */
const TOUCHED = 'updated_at = ?, version = version + 1';

/**
 * A running purge held by this worker. lease_owner is set exactly while a purge is running (claim
 * sets both; complete, fail, release and merge clear it), so the state needs no test of its own;
 * and without one MySQL finds the row by its primary key. A test on state made it scan the state
 * index first, locking that index's entry before the row, the reverse of a deactivation that
 * merges the purge (row first, then the entry as its state changes): the two deadlocked.
 */
const HELD_BY_OWNER = 'id = ? AND lease_owner = ?';

/**
 * Pending purges are always due (their next_attempt_at is informative: MySQL rounds it to the
 * second, which must not delay a fresh purge); failed ones after their backoff; running ones
 * once their lease has expired. Binds the current time twice.
 */
const IS_DUE =
  "(state = 'pending' OR (state = 'failed' AND next_attempt_at IS NOT NULL AND next_attempt_at <= ?) OR (state = 'running' AND lease_expires_at < ?))";

const BY_ID = statement<PurgeRow>('retention.purges.byId', `SELECT ${COLUMNS} FROM purges WHERE id = ?`);
const IN_ORGANIZATION = statement<PurgeRow>(
  'retention.purges.inOrganization',
  `SELECT ${COLUMNS} FROM purges WHERE id = ? AND organization_id = ?`,
);

/** Which optional filters a page applies; the SQL is assembled from these fixed fragments only. */
type PageShape = 'all' | 'state' | 'user' | 'stateAndUser';
const PAGE_FILTERS: Record<PageShape, string> = {
  all: '',
  state: ' AND state = ?',
  user: ' AND user_id = ?',
  stateAndUser: ' AND state = ? AND user_id = ?',
};
const PAGE = statementFamily<PageShape, PurgeRow>(
  'retention.purges.page',
  (shape) =>
    `SELECT ${COLUMNS} FROM purges WHERE organization_id = ?${PAGE_FILTERS[shape]} ORDER BY requested_at DESC, id ASC LIMIT ? OFFSET ?`,
);
const PAGE_TOTAL = statementFamily<PageShape, { total: unknown }>(
  'retention.purges.pageTotal',
  (shape) => `SELECT COUNT(*) AS total FROM purges WHERE organization_id = ?${PAGE_FILTERS[shape]}`,
);
const LATEST_FOR_USER = statement<PurgeRow>(
  'retention.purges.latestForUser',
  `SELECT ${COLUMNS} FROM purges WHERE organization_id = ? AND user_id = ? ORDER BY requested_at DESC, id ASC LIMIT 1`,
);
const MERGED_INTO = statement<{ id: string }>(
  'retention.purges.mergedInto',
  'SELECT id FROM purges WHERE merged_into_id = ? ORDER BY requested_at ASC, id ASC',
);
const MERGED_INTO_EACH = statementFamily<string, { id: string; merged_into_id: string }>(
  'retention.purges.mergedIntoEach',
  (shape) =>
    `SELECT id, merged_into_id FROM purges WHERE merged_into_id IN (${inListPlaceholders(shape)}) ORDER BY requested_at ASC, id ASC`,
);
const COUNT_BY_STATE = statement<{ state: string; count: unknown }>(
  'retention.purges.countByState',
  'SELECT state, COUNT(*) AS count FROM purges GROUP BY state',
);
const DUE = statement<{ id: string; attempts: unknown }>(
  'retention.purges.due',
  `SELECT id, attempts FROM purges WHERE ${IS_DUE} ORDER BY requested_at ASC LIMIT ?`,
);
const CLAIM = statement(
  'retention.purges.claim',
  `UPDATE purges SET state = 'running', lease_owner = ?, lease_expires_at = ?, next_attempt_at = NULL, attempts = attempts + 1, ` +
    `started_at = COALESCE(started_at, ?), ${TOUCHED} WHERE id = ? AND ${IS_DUE}`,
);
const RENEW_LEASE = statement('retention.purges.renewLease', `UPDATE purges SET lease_expires_at = ?, ${TOUCHED} WHERE ${HELD_BY_OWNER}`);
const ADD_DELETED = statement(
  'retention.purges.addDeleted',
  `UPDATE purges SET files_deleted = files_deleted + ?, messages_deleted = messages_deleted + ?, bytes_deleted = bytes_deleted + ?, ${TOUCHED} WHERE id = ?`,
);
const COMPLETE = statement(
  'retention.purges.complete',
  `UPDATE purges SET state = 'completed', completed_at = ?, files_deleted = ?, messages_deleted = ?, bytes_deleted = ?, receipt_digest = ?, ` +
    `lease_owner = NULL, lease_expires_at = NULL, next_attempt_at = NULL, ${TOUCHED} WHERE ${HELD_BY_OWNER}`,
);
const FAIL = statement(
  'retention.purges.fail',
  `UPDATE purges SET state = 'failed', last_error = ?, next_attempt_at = ?, lease_owner = NULL, lease_expires_at = NULL, ${TOUCHED} WHERE ${HELD_BY_OWNER}`,
);
const RELEASE = statement(
  'retention.purges.release',
  `UPDATE purges SET state = 'pending', next_attempt_at = ?, lease_owner = NULL, lease_expires_at = NULL, ${TOUCHED} WHERE ${HELD_BY_OWNER}`,
);
// Read and changed by primary key only, like every statement on one purge (see HELD_BY_OWNER); the
// row stays locked in between.
const LOCK_STATE_IN_ORGANIZATION = statement<{ state: string }>(
  'retention.purges.lockStateInOrganization',
  'SELECT state FROM purges WHERE id = ? AND organization_id = ?',
  {
    lock: 'update',
  },
);
// Conditional on the lease and on keys being left to destroy, so a re-run after its commit changes nothing.
const RECORD_KEYS_DESTROYED = statement(
  'retention.purges.recordKeysDestroyed',
  `UPDATE purges SET data_keys_destroyed_at = ?, data_keys_destroyed = ?, data_key_ids_to_destroy = NULL, ${TOUCHED} ` +
    `WHERE ${HELD_BY_OWNER} AND data_key_ids_to_destroy IS NOT NULL`,
);
// The safeguards' statements (issue 16). Every transition names the state it leaves, so of two
// racing transitions of one purge (a release and a reactivation, a promotion and a legal hold) one wins.
// A plain read: see PurgeSafeguards.decide for why it sees every purge counted before it. A locking
// read would lock the index gap between two organizations' entries, and two organizations'
// deactivations inserting into that gap would deadlock.
const COUNT_REQUESTED_SINCE = statement<{ total: unknown }>(
  'retention.purges.countRequestedSince',
  'SELECT COUNT(*) AS total FROM purges WHERE organization_id = ? AND requested_at > ?',
);
const LOCK_WAITING_IN_ORGANIZATION = statement<{
  id: string;
  user_id: string;
  state: string;
  hold_reason: string | null;
  requested_at: unknown;
}>(
  'retention.purges.lockWaitingInOrganization',
  'SELECT id, user_id, state, hold_reason, requested_at FROM purges WHERE id = ? AND organization_id = ?',
  { lock: 'update' },
);
const HELD_IN_ORGANIZATION = statement<{ id: string }>(
  'retention.purges.heldInOrganization',
  "SELECT id FROM purges WHERE organization_id = ? AND state = 'held' AND hold_reason = ? ORDER BY requested_at ASC, id ASC LIMIT ?",
);
const COUNT_HELD_IN_ORGANIZATION = statement<{ total: unknown }>(
  'retention.purges.countHeldInOrganization',
  "SELECT COUNT(*) AS total FROM purges WHERE organization_id = ? AND state = 'held' AND hold_reason = ?",
);
const COUNT_HELD_BY_REASON = statement<{ hold_reason: string | null; count: unknown }>(
  'retention.purges.countHeldByReason',
  "SELECT hold_reason, COUNT(*) AS count FROM purges WHERE state = 'held' GROUP BY hold_reason",
);
const RELEASE_HELD = statement(
  'retention.purges.releaseHeld',
  `UPDATE purges SET state = ?, run_after = ?, next_attempt_at = ?, released_at = ?, released_by = ?, ${TOUCHED} ` +
    "WHERE id = ? AND state = 'held' AND hold_reason = ?",
);
const HOLD_FOR_LEGAL = statement(
  'retention.purges.holdForLegal',
  `UPDATE purges SET state = 'held', hold_reason = 'legal_hold', run_after = NULL, ${TOUCHED} WHERE id = ? AND state = ?`,
);
const WAITING_OF_USER = statement<{ id: string }>(
  'retention.purges.waitingOfUser',
  "SELECT id FROM purges WHERE user_id = ? AND state IN ('held', 'scheduled') ORDER BY id",
);
// The keys stay: the purge has nothing left to destroy.
const CANCEL_WAITING = statement(
  'retention.purges.cancelWaiting',
  `UPDATE purges SET state = 'cancelled', cancelled_at = ?, data_key_ids_to_destroy = NULL, next_attempt_at = NULL, ${TOUCHED} ` +
    "WHERE id = ? AND state IN ('held', 'scheduled')",
);
const SCHEDULED_DUE = statement<{ id: string }>(
  'retention.purges.scheduledDue',
  "SELECT id FROM purges WHERE state = 'scheduled' AND run_after <= ? ORDER BY run_after ASC LIMIT ?",
);
const PROMOTE_SCHEDULED = statement(
  'retention.purges.promoteScheduled',
  `UPDATE purges SET state = 'pending', next_attempt_at = ?, ${TOUCHED} WHERE id = ? AND state = 'scheduled' AND run_after <= ?`,
);
const MARK_FOR_RETRY = statement(
  'retention.purges.markForRetry',
  `UPDATE purges SET state = 'pending', next_attempt_at = ?, ${TOUCHED} WHERE id = ?`,
);

/** Every read and write of purge rows. State changes are conditional updates, so racing workers cannot both win. */
@Injectable()
export class PurgeRepository {
  constructor(private readonly database: Database) {}

  async findById(id: string): Promise<PurgeRecord | null> {
    return toRecordOrNull(await this.database.first(BY_ID, [id]));
  }

  async findInOrganization(organizationId: string, id: string): Promise<PurgeRecord | null> {
    return toRecordOrNull(await this.database.first(IN_ORGANIZATION, [id, organizationId]));
  }

  async page(
    organizationId: string,
    filter: PurgeFilter,
    offset: number,
    limit: number,
  ): Promise<{ purges: PurgeRecord[]; total: number }> {
    const shape: PageShape = filter.state ? (filter.userId ? 'stateAndUser' : 'state') : filter.userId ? 'user' : 'all';
    const where = [organizationId, ...(filter.state ? [filter.state] : []), ...(filter.userId ? [filter.userId] : [])];
    const rows = await this.database.rows(PAGE.of(shape), [...where, limit, offset]);
    const total = await this.database.first(PAGE_TOTAL.of(shape), where);
    return { purges: rows.map(toRecord), total: readInteger(total?.total ?? 0) };
  }

  async latestForUser(organizationId: string, userId: string): Promise<PurgeRecord | null> {
    return toRecordOrNull(await this.database.first(LATEST_FOR_USER, [organizationId, userId]));
  }

  /** The purges whose scope `id` took over (state `merged`), oldest first. */
  async mergedInto(id: string): Promise<string[]> {
    return (await this.database.rows(MERGED_INTO, [id])).map((row) => row.id);
  }

  /** mergedInto for every purge of a page, in one query. */
  async mergedIntoEach(ids: string[]): Promise<Map<string, string[]>> {
    const merged = new Map<string, string[]>(ids.map((id) => [id, []]));
    if (ids.length > 0) {
      const padded = paddedInList(ids);
      for (const row of await this.database.rows(MERGED_INTO_EACH.of(padded.shape), padded.values)) {
        merged.get(row.merged_into_id)?.push(row.id);
      }
    }
    return merged;
  }

  /**
   * The user's purges with work left, locked until the caller's transaction ends. On MySQL the lock
   * waits for a batch of theirs in progress to commit, and keeps their next one (which starts by
   * renewing the lease on this row) from committing before the caller has decided their fate.
   *
   * Called with the user's row locked (by their deactivation), so no purge of the user can appear
   * meanwhile: they are found by a plain read, then locked by primary key only. A locking read by
   * user_id would lock index gaps too, and two deactivations of different users whose ids fall in
   * one gap would deadlock on inserting their purges.
   */
  async lockOpenForUser(userId: string): Promise<OpenPurge[]> {
    const open = await this.database.rows(OPEN_OF_USER, [userId]);
    const locked: OpenPurge[] = [];
    for (const { id } of open) {
      const row = await this.database.first(LOCK_BY_ID, [id]);
      // As they are once locked: one may have completed or failed in the meantime.
      if (row && (OPEN_PURGE_STATES as readonly string[]).includes(row.state)) {
        locked.push({
          id: row.id,
          state: row.state as PurgeState,
          filesDeleted: readInteger(row.files_deleted),
          messagesDeleted: readInteger(row.messages_deleted),
          bytesDeleted: String(row.bytes_deleted),
          dataKeysDestroyed: readDestroyedKeys(row.data_keys_destroyed),
          dataKeyIdsToDestroy: readKeyIds(row.data_key_ids_to_destroy),
        });
      }
    }
    return locked;
  }

  /**
   * `ids` (open, and locked by lockOpenForUser) end `merged` into `targetId`, with no lease or retry left,
   * and what had been merged into them now counts in `targetId` directly. Rows are updated by
   * primary key, for the same reason as in lockOpenForUser.
   */
  async mergeInto(ids: string[], targetId: string, now: Date): Promise<void> {
    for (const id of ids) {
      for (const earlier of await this.database.rows(MERGED_INTO, [id])) {
        await this.database.run(REPOINT_MERGED, [targetId, now, earlier.id]);
      }
      await this.database.run(MARK_MERGED, [targetId, now, id]);
    }
  }

  /** The purge record a deactivation writes, in its transaction. */
  async insert(purge: NewPurge): Promise<void> {
    await this.database.run(INSERT, [
      purge.id,
      purge.organizationId,
      purge.userId,
      purge.userName,
      purge.state,
      purge.messageCutoffId,
      purge.fileCutoffId,
      purge.messagesTotal,
      purge.filesTotal,
      purge.messagesDeleted,
      purge.filesDeleted,
      purge.bytesDeleted,
      purge.requestedAt,
      purge.requestedAt,
      purge.requestedAt,
      purge.dataKeysDestroyedAt,
      writeDestroyedKeys(purge.dataKeysDestroyed),
      purge.dataKeyIdsToDestroy === null ? null : JSON.stringify(purge.dataKeyIdsToDestroy),
      purge.holdReason,
      purge.runAfter,
    ]);
  }

  /** Purges of the organization requested after `since`, this transaction's own included; see PurgeSafeguards. */
  async countRequestedSince(organizationId: string, since: Date): Promise<number> {
    return readInteger((await this.database.first(COUNT_REQUESTED_SINCE, [organizationId, since]))?.total ?? 0);
  }

  /** The purge, locked until the caller's transaction ends; null when not in the organization. */
  async lockInOrganization(organizationId: string, id: string): Promise<LockedWaitingPurge | null> {
    const row = await this.database.first(LOCK_WAITING_IN_ORGANIZATION, [id, organizationId]);
    return row
      ? {
          id: row.id,
          userId: row.user_id,
          state: row.state as PurgeState,
          holdReason: readHoldReason(row.hold_reason),
          requestedAt: readDate(row.requested_at),
        }
      : null;
  }

  /** Ids of the organization's purges held for `reason`, oldest first, at most `limit`. */
  async heldIds(organizationId: string, reason: HoldReason, limit: number): Promise<string[]> {
    return (await this.database.rows(HELD_IN_ORGANIZATION, [organizationId, reason, limit])).map((row) => row.id);
  }

  async countHeld(organizationId: string, reason: HoldReason): Promise<number> {
    return readInteger((await this.database.first(COUNT_HELD_IN_ORGANIZATION, [organizationId, reason]))?.total ?? 0);
  }

  async countHeldByReason(): Promise<Record<HoldReason, number>> {
    const counts = Object.fromEntries(HOLD_REASONS.map((reason) => [reason, 0])) as Record<HoldReason, number>;
    for (const row of await this.database.rows(COUNT_HELD_BY_REASON)) {
      const reason = readHoldReason(row.hold_reason);
      if (reason) {
        counts[reason] = readInteger(row.count);
      }
    }
    return counts;
  }

  /** A purge held for `reason` goes on: pending now, or scheduled until `runAfter`. False when no longer so held. */
  async releaseHeld(
    id: string,
    reason: HoldReason,
    next: { state: 'pending' | 'scheduled'; runAfter: Date | null },
    releasedBy: string | null,
    now: Date,
  ): Promise<boolean> {
    const values = [next.state, next.runAfter, now, now, releasedBy, now, id, reason];
    return (await this.database.run(RELEASE_HELD, values)).affected === 1;
  }

  /** A purge in state `from` (held for the breaker, or scheduled) is held for a legal hold instead. */
  async holdForLegal(id: string, from: PurgeState, now: Date): Promise<boolean> {
    return (await this.database.run(HOLD_FOR_LEGAL, [now, id, from])).affected === 1;
  }

  /**
   * The reactivation's part, in its transaction (the user's row locked by it): the user's held or
   * scheduled purges end cancelled, with their keys kept. Returns the ids cancelled; a purge that
   * became pending meanwhile is not among them (its keys are gone: it runs, as any pending one).
   */
  async cancelWaitingOfUser(userId: string, now: Date): Promise<string[]> {
    const cancelled: string[] = [];
    for (const { id } of await this.database.rows(WAITING_OF_USER, [userId])) {
      if ((await this.database.run(CANCEL_WAITING, [now, now, id])).affected === 1) {
        cancelled.push(id);
      }
    }
    return cancelled;
  }

  /** Scheduled purges whose grace period has ended. */
  async scheduledDue(now: Date, limit: number): Promise<string[]> {
    return (await this.database.rows(SCHEDULED_DUE, [now, limit])).map((row) => row.id);
  }

  /** The scheduled purge becomes pending, if its grace period has ended and it is still scheduled. */
  async promoteScheduled(id: string, now: Date): Promise<boolean> {
    return (await this.database.run(PROMOTE_SCHEDULED, [now, now, id, now])).affected === 1;
  }

  async countByState(): Promise<Record<PurgeState, number>> {
    const counts = Object.fromEntries(PURGE_STATES.map((state) => [state, 0])) as Record<PurgeState, number>;
    for (const row of await this.database.rows(COUNT_BY_STATE)) {
      if ((PURGE_STATES as readonly string[]).includes(row.state)) {
        counts[row.state as PurgeState] = readInteger(row.count);
      }
    }
    return counts;
  }

  /**
   * Purges a worker should run now: pending ones, failed ones whose backoff has passed, and
   * running ones whose worker stopped renewing its lease (it crashed or was cut off).
   */
  async findDue(now: Date, limit: number): Promise<{ id: string; attempts: number }[]> {
    return (await this.database.rows(DUE, [now, now, limit])).map((row) => ({ id: row.id, attempts: readInteger(row.attempts) }));
  }

  /** Takes a due purge for this worker: running, leased, one more attempt. Null when not due or taken. */
  async claim(id: string, owner: string, now: Date, leaseMs: number): Promise<PurgeRecord | null> {
    const { affected } = await this.database.run(CLAIM, [owner, new Date(now.getTime() + leaseMs), now, now, id, now, now]);
    return affected === 1 ? this.findById(id) : null;
  }

  /**
   * First statement of every batch transaction: proves this worker still holds the lease (and
   * takes the purge row's write lock, so the batch waits for a deactivation deciding this purge's fate).
   */
  async renewLease(id: string, owner: string, leaseMs: number): Promise<boolean> {
    const now = new Date();
    return (await this.database.run(RENEW_LEASE, [new Date(now.getTime() + leaseMs), now, id, owner])).affected === 1;
  }

  async addDeleted(id: string, deleted: DeletedTotals): Promise<void> {
    await this.database.run(ADD_DELETED, [deleted.files, deleted.messages, deleted.bytes, new Date(), id]);
  }

  async complete(id: string, owner: string, receipt: Receipt, now: Date): Promise<boolean> {
    const values = [now, receipt.files, receipt.messages, receipt.bytes, receipt.digest, now, id, owner];
    return (await this.database.run(COMPLETE, values)).affected === 1;
  }

  /** Failed, with the error kept visible; nextAttemptAt null means no automatic retry is left. */
  async fail(id: string, owner: string, error: string, nextAttemptAt: Date | null): Promise<boolean> {
    return (await this.database.run(FAIL, [error, nextAttemptAt, new Date(), id, owner])).affected === 1;
  }

  /** Hands a running purge back (this worker is shutting down) so another takes it at once. */
  async release(id: string, owner: string, now: Date): Promise<boolean> {
    return (await this.database.run(RELEASE, [now, now, id, owner])).affected === 1;
  }

  /**
   * The purge's deferred key destruction is done: `destroyed` (what it carried, plus the keys just
   * destroyed) replaces the list, and nothing is left to destroy. False when the lease was lost or
   * a run before this one already recorded it.
   */
  async recordKeysDestroyed(id: string, owner: string, destroyed: DestroyedKeyEntry[], now: Date): Promise<boolean> {
    return (await this.database.run(RECORD_KEYS_DESTROYED, [now, writeDestroyedKeys(destroyed), now, id, owner])).affected === 1;
  }

  /** An administrator's retry of a failed purge: due now, whatever automatic retries are left. */
  async markForRetry(organizationId: string, id: string, now: Date): Promise<boolean> {
    return this.database.transaction(async () => {
      if ((await this.database.first(LOCK_STATE_IN_ORGANIZATION, [id, organizationId]))?.state !== 'failed') {
        return false;
      }
      await this.database.run(MARK_FOR_RETRY, [now, now, id]);
      return true;
    });
  }
}

function toRecordOrNull(row: PurgeRow | null): PurgeRecord | null {
  return row ? toRecord(row) : null;
}

function toRecord(row: PurgeRow): PurgeRecord {
  return {
    id: row.id,
    organizationId: row.organization_id,
    userId: row.user_id,
    userName: row.user_name,
    state: row.state as PurgeState,
    messageCutoffId: readInteger(row.message_cutoff_id),
    fileCutoffId: readInteger(row.file_cutoff_id),
    messagesTotal: readInteger(row.messages_total),
    filesTotal: readInteger(row.files_total),
    messagesDeleted: readInteger(row.messages_deleted),
    filesDeleted: readInteger(row.files_deleted),
    bytesDeleted: readInteger(row.bytes_deleted),
    receiptDigest: row.receipt_digest,
    attempts: readInteger(row.attempts),
    lastError: row.last_error,
    requestedAt: readDate(row.requested_at),
    startedAt: readNullableDate(row.started_at),
    completedAt: readNullableDate(row.completed_at),
    nextAttemptAt: readNullableDate(row.next_attempt_at),
    leaseExpiresAt: readNullableDate(row.lease_expires_at),
    leaseOwner: row.lease_owner,
    mergedIntoId: row.merged_into_id,
    dataKeysDestroyedAt: readNullableDate(row.data_keys_destroyed_at),
    dataKeysDestroyed: readDestroyedKeys(row.data_keys_destroyed),
    dataKeyIdsToDestroy: row.data_key_ids_to_destroy === null ? null : readKeyIds(row.data_key_ids_to_destroy),
    holdReason: readHoldReason(row.hold_reason),
    runAfter: readNullableDate(row.run_after),
    cancelledAt: readNullableDate(row.cancelled_at),
    releasedAt: readNullableDate(row.released_at),
    releasedBy: row.released_by,
  };
}

function readHoldReason(value: string | null): HoldReason | null {
  return (HOLD_REASONS as readonly (string | null)[]).includes(value) ? (value as HoldReason) : null;
}

function writeDestroyedKeys(keys: DestroyedKeyEntry[]): string | null {
  return keys.length === 0 ? null : JSON.stringify(keys.map((key) => ({ id: key.id, destroyedAt: key.destroyedAt.toISOString() })));
}

function readDestroyedKeys(json: string | null): DestroyedKeyEntry[] {
  if (json === null) {
    return [];
  }
  return (JSON.parse(json) as { id: string; destroyedAt: string }[]).map((key) => ({ id: key.id, destroyedAt: new Date(key.destroyedAt) }));
}

function readKeyIds(json: string | null): string[] {
  return json === null ? [] : (JSON.parse(json) as string[]);
}
