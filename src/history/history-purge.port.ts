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
   * Deletes the rows of those of `files` (whose bytes are gone) that are still the owner's files
   * and still refer to those bytes, and returns them as `deleted`: a file deleted meanwhile, by an
   * earlier run or another purge, is not returned, so no deletion is ever recorded twice. A file
   * whose row now refers to other bytes (re-encrypted by seal-legacy-history in between) keeps its
   * row and is returned in `moved` with the bytes its locked row names, for the caller to delete
   * before deleting the row: deleting it now would leave those bytes behind.
   */
  async deleteFiles(owner: HistoryOwner, files: readonly PurgeableFile[]): Promise<{ deleted: DeletedItem[]; moved: PurgeableFile[] }> {
    const bytesGone = new Map(files.map((file) => [file.id, file.storageKey]));
    const locked = await this.history.lockFiles(
      owner,
      files.map((file) => file.id),
    );
    const deleted = locked.filter((file) => bytesGone.get(file.id) === file.storageKey);
    const moved = locked.filter((file) => bytesGone.get(file.id) !== file.storageKey);
    await this.deleteExactly(deleted.length, () => this.history.deleteLockedFiles(deleted.map((file) => file.id)), 'files');
    return { deleted: deleted.map(({ id, sizeBytes }) => ({ id, sizeBytes })), moved };
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
   * Keys are looked up first among the files of the owner their path names (`<organization>/<user>/<name>`,
   * as every upload stores them); a key none of those rows names, or of another shape, is then
   * looked for in every row, so bytes are never called orphaned because of where they are stored.
   */
  async unreferencedStorageKeys(storageKeys: readonly string[]): Promise<string[]> {
    const unseen: string[] = [];
    for (const { owner, keys } of groupedByOwner(storageKeys)) {
      const referenced = owner ? await this.history.referencedStorageKeysOfOwner(owner, keys) : new Set<string>();
      unseen.push(...keys.filter((key) => !referenced.has(key)));
    }
    const referenced = await this.history.referencedStorageKeys(unseen);
    return unseen.filter((key) => !referenced.has(key));
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

/** The keys by the owner their path names, in order of first appearance; keys of another shape under a null owner. */
function groupedByOwner(storageKeys: readonly string[]): { owner: HistoryOwner | null; keys: string[] }[] {
  const groups = new Map<string, { owner: HistoryOwner | null; keys: string[] }>();
  for (const key of storageKeys) {
    const segments = key.split('/');
    const owner = segments.length === 3 ? { organizationId: segments[0], userId: segments[1] } : null;
    const group = owner ? `${owner.organizationId}/${owner.userId}` : '';
    const found = groups.get(group) ?? { owner, keys: [] };
    found.keys.push(key);
    groups.set(group, found);
  }
  return [...groups.values()];
}
