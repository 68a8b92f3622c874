import { randomUUID } from 'node:crypto';
import { Injectable, Logger } from '@nestjs/common';
import { DataKeys } from '../content-encryption/data-keys.service';
import { Database } from '../database/database';
import { DatabaseUsageError } from '../database/database-error';
import { HistoryPurgeScope } from '../history/history-purge-scope';
import { DestroyedKeyEntry, OpenPurge, PurgeRepository } from './purge.repository';
import { PurgeQueue } from './queue/purge-queue';

export type PurgeSubject = { id: string; organizationId: string; userName: string };

/**
 * `now`: the user's data keys are destroyed in the recording transaction (every deactivation
 * today). `deferred`: the current key is only retired, and the purge destroys it as its first
 * step; for purges that must keep the content a while (held, or after a grace period).
 */
export type KeyDestruction = 'now' | 'deferred';

/** The entry point of retention for the users domain: record a purge, then hand it to the queue. */
@Injectable()
export class PurgeScheduler {
  private readonly logger = new Logger(PurgeScheduler.name);

  constructor(
    private readonly database: Database,
    private readonly purges: PurgeRepository,
    private readonly history: HistoryPurgeScope,
    private readonly queue: PurgeQueue,
    private readonly dataKeys: DataKeys,
  ) {}

  /**
   * Writes the durable purge record inside the caller's (deactivation) transaction, with the
   * cutoffs that fix exactly which items it will delete, and hands it to the queue once that
   * transaction has committed (never if it rolls back).
   *
   * A user reactivated and deactivated again before their earlier purge completed has that purge
   * taken over here: it ends `merged` into this one, and its deleted items count in this one's
   * totals, progress and receipt. The new cutoffs cover whatever the earlier purge had left (the
   * same user's ids only grow), so nothing of its scope is lost; and since the earlier purge is
   * stopped before the user's items are counted, no item is counted by one purge and deleted by
   * the other: every receipt adds up, N of N.
   */
  async record(user: PurgeSubject, keyDestruction: KeyDestruction = 'now'): Promise<{ purgeId: string }> {
    if (!this.database.inTransaction) {
      throw new DatabaseUsageError("PurgeScheduler.record() must run inside the deactivation's transaction");
    }
    const purgeId = randomUUID();
    const taken = await this.purges.lockOpenForUser(user.id);
    const carried = taken.reduce(
      (sum, purge) => ({
        files: sum.files + purge.filesDeleted,
        messages: sum.messages + purge.messagesDeleted,
        bytes: sum.bytes + Number(purge.bytesDeleted),
      }),
      { files: 0, messages: 0, bytes: 0 },
    );
    const { messages, files } = await this.history.scopeOf(user.id);
    // Set here rather than by the column default, which on SQLite keeps only whole seconds.
    const requestedAt = new Date();
    // After the purges are locked: a running purge's deferred key step locks its purge row, then the keys.
    const keys = await this.destroyOrRetireKeys(user.id, taken, keyDestruction, requestedAt);
    await this.purges.insert({
      id: purgeId,
      organizationId: user.organizationId,
      userId: user.id,
      userName: user.userName,
      messageCutoffId: messages.maxId,
      fileCutoffId: files.maxId,
      messagesTotal: messages.count + carried.messages,
      filesTotal: files.count + carried.files,
      messagesDeleted: carried.messages,
      filesDeleted: carried.files,
      bytesDeleted: String(carried.bytes),
      requestedAt,
      ...keys,
    });
    const merged = taken.map((purge) => purge.id);
    await this.purges.mergeInto(merged, purgeId, requestedAt);
    this.logger.log(
      {
        purgeId,
        userId: user.id,
        messages: messages.count,
        files: files.count,
        merged,
        dataKeysDestroyed: keys.dataKeysDestroyed.map((key) => key.id),
        dataKeysToDestroy: keys.dataKeyIdsToDestroy,
      },
      'purge recorded',
    );
    await this.database.afterCommit(() => this.dispatch(purgeId));
    return { purgeId };
  }

  /**
   * What the new purge records of the user's data keys. The purges it takes over hand on what they
   * destroyed (so the receipt lists every key of the merged scope) and what they had still to destroy.
   */
  private async destroyOrRetireKeys(
    userId: string,
    taken: OpenPurge[],
    keyDestruction: KeyDestruction,
    now: Date,
  ): Promise<{ dataKeysDestroyedAt: Date | null; dataKeysDestroyed: DestroyedKeyEntry[]; dataKeyIdsToDestroy: string[] | null }> {
    const carried = taken.flatMap((purge) => purge.dataKeysDestroyed);
    if (keyDestruction === 'now') {
      // Every key of the user, including any a taken-over purge had still to destroy.
      const destroyed = await this.dataKeys.destroyUserKeys(userId);
      return {
        dataKeysDestroyedAt: destroyed[0]?.destroyedAt ?? now,
        dataKeysDestroyed: [...carried, ...destroyed.map((key) => ({ id: key.id, destroyedAt: key.destroyedAt }))],
        dataKeyIdsToDestroy: null,
      };
    }
    const retired = await this.dataKeys.retireCurrentKey(userId);
    const pending = new Set(taken.flatMap((purge) => purge.dataKeyIdsToDestroy));
    if (retired !== null) {
      pending.add(retired);
    }
    return { dataKeysDestroyedAt: null, dataKeysDestroyed: carried, dataKeyIdsToDestroy: [...pending] };
  }

  /**
   * Call after the recording transaction commits: hands the purge to the queue. Never throws and
   * never waits long: if the queue is unreachable (a Redis outage) the purge stays pending, durable,
   * and a worker's reconciler dispatches it once the queue is back.
   */
  async dispatch(purgeId: string): Promise<void> {
    try {
      const purge = await this.purges.findById(purgeId);
      if (!purge || purge.state === 'completed' || purge.state === 'merged') {
        return;
      }
      await this.queue.enqueue({ purgeId, attempt: purge.attempts });
    } catch (error) {
      this.logger.warn(
        { purgeId, reason: error instanceof Error ? error.message : String(error) },
        'purge not dispatched; it stays pending for the reconciler',
      );
    }
  }
}
