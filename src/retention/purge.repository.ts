import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { Brackets, EntityManager, In, Repository } from 'typeorm';
import { boundInteger, boundIntegerColumn } from '../database/bound-integer';
import { Database } from '../database/database';
import { serializedTransaction } from '../database/serialized-transaction';
import { readInteger } from '../database/sql-values';
import { statement } from '../database/statement';
import { OPEN_PURGE_STATES, Purge, PURGE_STATES, PurgeState } from './purge.entity';

export type PurgeFilter = { state?: PurgeState; userId?: string };
export type DeletedTotals = { files: number; messages: number; bytes: number };
export type Receipt = DeletedTotals & { digest: string };
export type OpenPurge = Pick<Purge, 'id' | 'state' | 'filesDeleted' | 'messagesDeleted' | 'bytesDeleted'>;
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
};

type OpenPurgeRow = { id: string; state: string; files_deleted: unknown; messages_deleted: unknown; bytes_deleted: unknown };

// The scheduler's statements (lockOpenForUser, mergeInto, insert). Writes bump version and
// updated_at as TypeORM's own updates of the entity do.
const OPEN_STATES = OPEN_PURGE_STATES.map((state) => `'${state}'`).join(', ');
const OPEN_OF_USER = statement<{ id: string }>('purges.openOfUser', `SELECT id FROM purges WHERE user_id = ? AND state IN (${OPEN_STATES}) ORDER BY id`);
const LOCK_BY_ID = statement<OpenPurgeRow>('purges.lockById', 'SELECT id, state, files_deleted, messages_deleted, bytes_deleted FROM purges WHERE id = ?', {
  lock: 'update',
});
const MERGED_INTO = statement<{ id: string }>('purges.mergedIntoOne', 'SELECT id FROM purges WHERE merged_into_id = ?');
const REPOINT_MERGED = statement('purges.repointMerged', 'UPDATE purges SET merged_into_id = ?, updated_at = ?, version = version + 1 WHERE id = ?');
const MARK_MERGED = statement(
  'purges.markMerged',
  "UPDATE purges SET state = 'merged', merged_into_id = ?, lease_owner = NULL, lease_expires_at = NULL, next_attempt_at = NULL, updated_at = ?, version = version + 1 WHERE id = ?",
);
const INSERT = statement(
  'purges.insert',
  'INSERT INTO purges (id, organization_id, user_id, user_name, state, message_cutoff_id, file_cutoff_id, messages_total, files_total, messages_deleted, ' +
    "files_deleted, bytes_deleted, requested_at, next_attempt_at, updated_at, attempts, version) VALUES (?, ?, ?, ?, 'pending', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0, 1)",
);

/**
 * A running purge held by this worker. lease_owner is set exactly while a purge is running (claim
 * sets both; complete, fail, release and merge clear it), so the state needs no test of its own;
 * and without one MySQL finds the row by its primary key. A test on state made it scan the state
 * index first, locking that index's entry before the row, the reverse of a deactivation that
 * merges the purge (row first, then the entry as its state changes): the two deadlocked.
 */
const HELD_BY_OWNER = 'id = :id AND lease_owner = :owner';

/** Every read and write of purge rows. State changes are conditional updates, so racing workers cannot both win. */
@Injectable()
export class PurgeRepository {
  constructor(
    @InjectRepository(Purge) private readonly purges: Repository<Purge>,
    private readonly database: Database,
  ) {}

  findById(id: string): Promise<Purge | null> {
    return this.purges.findOneBy({ id });
  }

  findInOrganization(organizationId: string, id: string): Promise<Purge | null> {
    return this.purges.findOneBy({ id, organizationId });
  }

  async page(organizationId: string, filter: PurgeFilter, offset: number, limit: number): Promise<{ purges: Purge[]; total: number }> {
    const [purges, total] = await this.purges.findAndCount({
      where: { organizationId, ...(filter.state ? { state: filter.state } : {}), ...(filter.userId ? { userId: filter.userId } : {}) },
      order: { requestedAt: 'DESC', id: 'ASC' },
      skip: offset,
      take: limit,
    });
    return { purges, total };
  }

  latestForUser(organizationId: string, userId: string): Promise<Purge | null> {
    return this.purges.findOne({ where: { organizationId, userId }, order: { requestedAt: 'DESC', id: 'ASC' } });
  }

  /** The purges whose scope `id` took over (state `merged`), oldest first. */
  async mergedInto(id: string): Promise<string[]> {
    const rows = await this.purges.find({ select: { id: true }, where: { mergedIntoId: id }, order: { requestedAt: 'ASC', id: 'ASC' } });
    return rows.map((row) => row.id);
  }

  /** mergedInto for every purge of a page, in one query. */
  async mergedIntoEach(ids: string[]): Promise<Map<string, string[]>> {
    const merged = new Map<string, string[]>(ids.map((id) => [id, []]));
    if (ids.length > 0) {
      const rows = await this.purges.find({ select: { id: true, mergedIntoId: true }, where: { mergedIntoId: In(ids) }, order: { requestedAt: 'ASC', id: 'ASC' } });
      for (const row of rows) {
        merged.get(row.mergedIntoId ?? '')?.push(row.id);
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
    ]);
  }

  async countByState(): Promise<Record<PurgeState, number>> {
    const rows = await this.purges
      .createQueryBuilder('purge')
      .select('purge.state', 'state')
      .addSelect('COUNT(*)', 'count')
      .groupBy('purge.state')
      .getRawMany<{ state: string; count: number | string }>();
    const counts = Object.fromEntries(PURGE_STATES.map((state) => [state, 0])) as Record<PurgeState, number>;
    for (const row of rows) {
      if ((PURGE_STATES as readonly string[]).includes(row.state)) {
        counts[row.state as PurgeState] = Number(row.count);
      }
    }
    return counts;
  }

  /**
   * Purges a worker should run now: pending ones, failed ones whose backoff has passed, and
   * running ones whose worker stopped renewing its lease (it crashed or was cut off).
   */
  findDue(now: Date, limit: number): Promise<Pick<Purge, 'id' | 'attempts'>[]> {
    return this.purges
      .createQueryBuilder('purge')
      .select(['purge.id', 'purge.attempts'])
      .where(this.isDue(now))
      .orderBy('purge.requestedAt', 'ASC')
      .limit(limit)
      .getMany();
  }

  /** Takes a due purge for this worker: running, leased, one more attempt. Null when not due or taken. */
  async claim(id: string, owner: string, now: Date, leaseMs: number): Promise<Purge | null> {
    const result = await this.purges
      .createQueryBuilder()
      .update(Purge)
      .set({
        state: 'running',
        leaseOwner: owner,
        leaseExpiresAt: new Date(now.getTime() + leaseMs),
        nextAttemptAt: null,
        attempts: () => 'attempts + 1',
        startedAt: () => 'COALESCE(started_at, :now)',
      })
      .where('id = :id', { id })
      .andWhere(this.isDue(now, ''))
      .setParameter('now', now)
      .execute();
    return result.affected === 1 ? this.findById(id) : null;
  }

  /**
   * First statement of every batch transaction: proves this worker still holds the lease (and
   * takes the purge row's write lock, which on SQLite makes the transaction a writer at once).
   */
  async renewLease(manager: EntityManager, id: string, owner: string, leaseMs: number): Promise<boolean> {
    const result = await manager
      .createQueryBuilder()
      .update(Purge)
      .set({ leaseExpiresAt: new Date(Date.now() + leaseMs) })
      .where(HELD_BY_OWNER, { id, owner })
      .execute();
    return result.affected === 1;
  }

  async addDeleted(manager: EntityManager, id: string, deleted: DeletedTotals): Promise<void> {
    await manager
      .createQueryBuilder()
      .update(Purge)
      .set({
        filesDeleted: () => 'files_deleted + :files',
        messagesDeleted: () => 'messages_deleted + :messages',
        bytesDeleted: () => 'bytes_deleted + :bytes',
      })
      .where('id = :id', { id })
      .setParameters({ files: boundInteger(deleted.files), messages: boundInteger(deleted.messages), bytes: boundInteger(deleted.bytes) })
      .execute();
  }

  async complete(id: string, owner: string, receipt: Receipt, now: Date): Promise<boolean> {
    const result = await this.purges
      .createQueryBuilder()
      .update(Purge)
      .set({
        state: 'completed',
        completedAt: now,
        filesDeleted: boundIntegerColumn(receipt.files),
        messagesDeleted: boundIntegerColumn(receipt.messages),
        bytesDeleted: String(receipt.bytes),
        receiptDigest: receipt.digest,
        leaseOwner: null,
        leaseExpiresAt: null,
        nextAttemptAt: null,
      })
      .where(HELD_BY_OWNER, { id, owner })
      .execute();
    return result.affected === 1;
  }

  /** Failed, with the error kept visible; nextAttemptAt null means no automatic retry is left. */
  async fail(id: string, owner: string, error: string, nextAttemptAt: Date | null): Promise<boolean> {
    const result = await this.purges
      .createQueryBuilder()
      .update(Purge)
      .set({ state: 'failed', lastError: error, nextAttemptAt, leaseOwner: null, leaseExpiresAt: null })
      .where(HELD_BY_OWNER, { id, owner })
      .execute();
    return result.affected === 1;
  }

  /** Hands a running purge back (this worker is shutting down) so another takes it at once. */
  async release(id: string, owner: string, now: Date): Promise<boolean> {
    const result = await this.purges
      .createQueryBuilder()
      .update(Purge)
      .set({ state: 'pending', nextAttemptAt: now, leaseOwner: null, leaseExpiresAt: null })
      .where(HELD_BY_OWNER, { id, owner })
      .execute();
    return result.affected === 1;
  }

  /** An administrator's retry of a failed purge: due now, whatever automatic retries are left. */
  async markForRetry(organizationId: string, id: string, now: Date): Promise<boolean> {
    return serializedTransaction(this.purges.manager.connection, async (manager) => {
      // Read and changed by primary key only, like every statement on one purge (see HELD_BY_OWNER);
      // the row stays locked in between.
      const read = manager.getRepository(Purge).createQueryBuilder('purge').select(['purge.id', 'purge.state']).where('purge.id = :id AND purge.organization_id = :organizationId', { id, organizationId });
      if (manager.connection.options.type !== 'better-sqlite3') {
        read.setLock('pessimistic_write');
      }
      if ((await read.getOne())?.state !== 'failed') {
        return false;
      }
      await manager.createQueryBuilder().update(Purge).set({ state: 'pending', nextAttemptAt: now }).where('id = :id', { id }).execute();
      return true;
    });
  }

  /**
   * Pending purges are always due (their nextAttemptAt is informative: MySQL rounds it to the
   * second, which must not delay a fresh purge); failed ones after their backoff; running ones
   * once their lease has expired.
   */
  private isDue(now: Date, alias = 'purge.'): Brackets {
    return new Brackets((where) => {
      where
        .where(`${alias}state = 'pending'`)
        .orWhere(`(${alias}state = 'failed' AND ${alias}next_attempt_at IS NOT NULL AND ${alias}next_attempt_at <= :dueAt)`, { dueAt: now })
        .orWhere(`(${alias}state = 'running' AND ${alias}lease_expires_at < :dueAt)`, { dueAt: now });
    });
  }
}
