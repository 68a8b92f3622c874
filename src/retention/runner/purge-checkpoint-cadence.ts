/** Items a purge deletes between two WAL checkpoints, at most. */
export const CHECKPOINT_EVERY_ITEMS = 5000;
/** Time between two WAL checkpoints of a purge that is deleting, at most (a slow store, or paused batches). */
export const CHECKPOINT_EVERY_MS = 1000;

/**
 * When a purge checkpoints the SQLite WAL (PurgeBatches.checkpoint). A TRUNCATE checkpoint syncs
 * the database file and empties the WAL, which the next commit grows again: after every batch it
 * dominated a purge's time. So it runs once enough items, or enough time, have gone since the last
 * one, and always before the purge lets go (completed, failed, handed back or taken over), so the
 * deleted rows are overwritten in the file before the purge says it is done.
 */
export class PurgeCheckpointCadence {
  private itemsSince = 0;
  private lastAt: number;

  constructor(
    private readonly everyItems = CHECKPOINT_EVERY_ITEMS,
    private readonly everyMs = CHECKPOINT_EVERY_MS,
    private readonly now: () => number = Date.now,
  ) {
    this.lastAt = now();
  }

  /** Counts `items` just deleted (committed); true when a checkpoint is due now. */
  deleted(items: number): boolean {
    this.itemsSince += items;
    return this.itemsSince >= this.everyItems || (this.itemsSince > 0 && this.now() - this.lastAt >= this.everyMs);
  }

  /** True when items were deleted since the last checkpoint. */
  get pending(): boolean {
    return this.itemsSince > 0;
  }

  checkpointed(): void {
    this.itemsSince = 0;
    this.lastAt = this.now();
  }
}
