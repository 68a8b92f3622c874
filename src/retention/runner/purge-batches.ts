import { Injectable, Logger } from '@nestjs/common';
import { DataKeys } from '../../content-encryption/data-keys.service';
import { Database } from '../../database/database';
import { HistoryOwner, HistoryPurgePort, PurgeableFile } from '../../history/history-purge.port';
import { BlobStorage } from '../../storage/blob-storage';
import { PurgeRecord, PurgeRepository } from '../purge.repository';
import { PurgedItemRepository } from '../purged-item.repository';
import { LeaseLostError } from './purge-errors';

export type Lease = { owner: string; leaseMs: number };

/**
 * Passes over a batch's files whose rows came to name other bytes between the read and the lock.
 * Only seal-legacy-history moves a file's bytes, once, so a second pass finishes; a third that
 * still finds moved files leaves them to the purge's retry, reported as undeleted.
 */
const MOVED_BYTES_PASSES = 3;

/** What one batch did: the rows it looked at, and the files whose bytes would not go. */
export type BatchResult = { seen: number; lastId: number; undeleted: { id: number; reason: string }[] };

/**
 * One bounded batch of a purge, committed on its own: rows deleted, the ledger written and the
 * counters advanced in one transaction, so a crash at any point loses or repeats nothing.
 * Only items of the purge's user with ids up to its cutoffs are touched, through History's port.
 */
@Injectable()
export class PurgeBatches {
  private readonly logger = new Logger(PurgeBatches.name);

  constructor(
    private readonly database: Database,
    private readonly storage: BlobStorage,
    private readonly history: HistoryPurgePort,
    private readonly purges: PurgeRepository,
    private readonly ledger: PurgedItemRepository,
    private readonly dataKeys: DataKeys,
  ) {}

  /**
   * A purge whose deactivation deferred the destruction of the user's data keys destroys them
   * first, in one transaction with recording it: conditional on the lease, and on the destruction
   * not being recorded yet, so a re-run (after a crash either side of the commit) destroys only
   * what is left and records once. Returns the purge as it now stands.
   */
  async destroyDeferredKeys(purge: PurgeRecord, lease: Lease): Promise<PurgeRecord> {
    const keyIds = purge.dataKeyIdsToDestroy;
    if (keyIds === null) {
      return purge;
    }
    let recorded = purge;
    await this.inBatchTransaction(purge, lease, async () => {
      const destroyed = await this.dataKeys.destroyKeys(purge.userId, keyIds);
      const now = destroyed[0]?.destroyedAt ?? new Date();
      // A key no longer there was destroyed before (by a deactivation of the user since): gone all the same.
      const entries = [...purge.dataKeysDestroyed, ...keyIds.map((id) => ({ id, destroyedAt: now }))];
      if (!(await this.purges.recordKeysDestroyed(purge.id, lease.owner, entries, now))) {
        throw new LeaseLostError(purge.id);
      }
      recorded = { ...purge, dataKeysDestroyedAt: now, dataKeysDestroyed: entries, dataKeyIdsToDestroy: null };
    });
    return recorded;
  }

  /**
   * Files with ids after `afterId`: bytes first, then rows. Bytes already gone (deleted by an
   * earlier, interrupted run) count as deleted. Files whose bytes cannot be deleted keep their
   * rows and are reported, so the purge fails visibly and a retry finds them again. A row is
   * deleted only if, locked, it still names the bytes just deleted; one that names other bytes
   * by then (re-encrypted in between) has those deleted next, then its row, on the same terms.
   */
  async deleteFiles(purge: PurgeRecord, afterId: number, limit: number, lease: Lease): Promise<BatchResult> {
    const candidates = await this.history.filesUpTo(ownerOf(purge), afterId, purge.fileCutoffId, limit);
    if (candidates.length === 0) {
      return { seen: 0, lastId: afterId, undeleted: [] };
    }
    const undeleted: BatchResult['undeleted'] = [];
    let pending: readonly PurgeableFile[] = candidates;
    for (let pass = 1; pending.length > 0; pass += 1) {
      if (pass > MOVED_BYTES_PASSES) {
        undeleted.push(...pending.map(({ id }) => ({ id, reason: 'its bytes were replaced again while being purged' })));
        break;
      }
      pending = await this.deleteRows(purge, lease, await this.deleteBytes(pending, undeleted));
    }
    return { seen: candidates.length, lastId: candidates[candidates.length - 1].id, undeleted };
  }

  /** The next messages after `afterId` up to the cutoff, deleted in one statement: how many, and the last id. */
  async deleteMessages(purge: PurgeRecord, afterId: number, limit: number, lease: Lease): Promise<{ deleted: number; lastId: number }> {
    let result = { deleted: 0, lastId: afterId };
    await this.inBatchTransaction(purge, lease, async () => {
      const batch = await this.history.deleteMessagesUpTo(ownerOf(purge), afterId, purge.messageCutoffId, limit);
      if (batch.length > 0) {
        await this.ledger.record(purge.id, 'message', batch);
        await this.purges.addDeleted(purge.id, { files: 0, messages: batch.length, bytes: 0 });
        result = { deleted: batch.length, lastId: batch[batch.length - 1].id };
      }
    });
    return result;
  }

  /**
   * After a committed batch and at completion: on SQLite, the WAL copied into the database file
   * (where secure_delete zeroes what the deletions freed) and emptied, so deleted rows and wiped
   * names do not linger in either. A reader blocking it, or a failure, is logged and never fails
   * the purge: the next checkpoint (SQLite's own, or the next batch's) finishes the job.
   */
  async checkpoint(purgeId: string): Promise<void> {
    try {
      if ((await this.database.checkpoint()) === 'busy') {
        this.logger.warn({ purgeId }, 'WAL checkpoint after a purge batch was blocked by a reader; the next one completes it');
      }
    } catch (error) {
      this.logger.warn(
        { purgeId, reason: error instanceof Error ? error.message : String(error) },
        'WAL checkpoint after a purge batch failed',
      );
    }
  }

  /**
   * Once the purge completed: the user's storage folder, if nothing is left in it. Race-safe, as
   * an upload after a reactivation re-creates the folder it finds gone; a failure is only logged.
   */
  async removeUserFolder(purge: PurgeRecord): Promise<void> {
    try {
      await this.storage.removeEmptyFolder(`${purge.organizationId}/${purge.userId}`);
    } catch (error) {
      this.logger.warn(
        { purgeId: purge.id, reason: error instanceof Error ? error.message : String(error) },
        'could not remove the user storage folder',
      );
    }
  }

  /** Deletes the bytes of `files`: those gone are returned, the others added to `undeleted` with the reason. */
  private async deleteBytes(files: readonly PurgeableFile[], undeleted: BatchResult['undeleted']): Promise<PurgeableFile[]> {
    const failures = await this.storage.deleteMany(files.map((file) => file.storageKey));
    const gone: PurgeableFile[] = [];
    for (const file of files) {
      const reason = failures.get(file.storageKey);
      if (reason === undefined) {
        gone.push(file);
      } else {
        undeleted.push({ id: file.id, reason });
      }
    }
    return gone;
  }

  /** One transaction: the rows of `files` deleted, ledger and counters; returns the files whose rows name other bytes by now. */
  private async deleteRows(purge: PurgeRecord, lease: Lease, files: readonly PurgeableFile[]): Promise<PurgeableFile[]> {
    let moved: PurgeableFile[] = [];
    await this.inBatchTransaction(purge, lease, async () => {
      const result = await this.history.deleteFiles(ownerOf(purge), files);
      moved = result.moved;
      if (result.deleted.length > 0) {
        await this.ledger.record(purge.id, 'file', result.deleted);
        const bytes = result.deleted.reduce((sum, file) => sum + file.sizeBytes, 0);
        await this.purges.addDeleted(purge.id, { files: result.deleted.length, messages: 0, bytes });
      }
    });
    return moved;
  }

  private async inBatchTransaction(purge: PurgeRecord, lease: Lease, work: () => Promise<void>): Promise<void> {
    await this.database.transaction(async () => {
      if (!(await this.purges.renewLease(purge.id, lease.owner, lease.leaseMs))) {
        throw new LeaseLostError(purge.id);
      }
      await work();
    });
  }
}

function ownerOf(purge: PurgeRecord): HistoryOwner {
  return { organizationId: purge.organizationId, userId: purge.userId };
}
