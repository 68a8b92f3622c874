import { Injectable } from '@nestjs/common';
import { DeletedItem, HistoryOwner, HistoryRepository, PurgeableFile } from './history.repository';

export type { DeletedItem, HistoryOwner, PurgeableFile } from './history.repository';

/**
 * What a purge may do to a user's history, and nothing more: read their items up to its cutoffs
 * in batches, and delete a batch. The deletes lock what they delete and must run inside the
 * caller's batch transaction (a locking read outside one throws), so the purge's ledger and
 * counters commit with them or not at all.
 */
@Injectable()
export class HistoryPurgePort {
  constructor(private readonly history: HistoryRepository) {}

  /** The next files to purge: ids after `afterId`, up to `cutoffId`, ascending. Read outside any transaction. */
  filesUpTo(owner: HistoryOwner, afterId: number, cutoffId: number, limit: number): Promise<PurgeableFile[]> {
    return this.history.filesToPurge(owner, afterId, cutoffId, limit);
  }

  /**
   * Deletes the rows of those of `ids` that are still the owner's files (their bytes are gone) and
   * returns them: a file deleted meanwhile, by an earlier run or another purge, is not returned,
   * so no deletion is ever recorded twice.
   */
  async deleteFiles(owner: HistoryOwner, ids: readonly number[]): Promise<DeletedItem[]> {
    const present = await this.history.lockFiles(owner, ids);
    await this.deleteExactly(present.length, () => this.history.deleteLockedFiles(present.map((file) => file.id)), 'files');
    return present;
  }

  /** Deletes the owner's first `limit` messages with ids after `afterId` and up to `cutoffId`, and returns them (ascending); none past the cutoff. */
  async deleteMessagesUpTo(owner: HistoryOwner, afterId: number, cutoffId: number, limit: number): Promise<DeletedItem[]> {
    const ids = await this.history.lockMessages(owner, afterId, cutoffId, limit);
    await this.deleteExactly(ids.length, () => this.history.deleteLockedMessages(ids), 'messages');
    return ids.map((id) => ({ id, sizeBytes: 0 }));
  }

  /**
   * Those of `storageKeys` that no file row refers to (the storage sweep's question). An upload's
   * row is inserted just after its bytes land, so the caller only asks about bytes older than a grace time.
   */
  async unreferencedStorageKeys(storageKeys: readonly string[]): Promise<string[]> {
    const referenced = await this.history.referencedStorageKeys(storageKeys);
    return storageKeys.filter((key) => !referenced.has(key));
  }

  /** The rows are locked, so the delete matches them all; anything else undoes the batch. */
  private async deleteExactly(expected: number, remove: () => Promise<number>, kind: string): Promise<void> {
    if (expected === 0) {
      return;
    }
    const deleted = await remove();
    if (deleted !== expected) {
      throw new Error(`a purge batch deleted ${deleted} ${kind} instead of the ${expected} it had locked`);
    }
  }
}
