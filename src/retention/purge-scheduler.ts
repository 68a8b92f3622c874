import { randomUUID } from 'node:crypto';
import { Injectable, Logger } from '@nestjs/common';
import { AuditService } from '../audit/audit.service';
import { DataKeys } from '../content-encryption/data-keys.service';
import { Database } from '../database/database';
import { DatabaseUsageError } from '../database/database-error';
import { HistoryPurgeScope } from '../history/history-purge-scope';
import { DestroyedKeyEntry, OpenPurge, PurgeRepository } from './purge.repository';
import { PurgeQueue } from './queue/purge-queue';
import { PurgePolicy } from './safeguards/purge-policy';
import { PurgeSafeguards, PurgeStart } from './safeguards/purge-safeguards';

export type PurgeSubject = { id: string; organizationId: string; userName: string };

/**
 * `now`: the user's data keys are destroyed in the recording transaction (a purge that starts at
 * once). `deferred`: the current key is only retired, and the purge destroys every key the user
 * has at deactivation as its first step; for purges that keep the content a while (held, or
 * scheduled after a grace period), which a reactivation can still cancel.
 */
export type KeyDestruction = 'now' | 'deferred';

/**
 * What lockForDeactivation took, for record(): the organization whose deactivations now wait for
 * this transaction, and its purge policy as read under that lock (so it is not locked twice).
 */
export type DeactivationLock = { readonly organizationId: string; readonly policy: PurgePolicy };

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
    private readonly safeguards: PurgeSafeguards,
    private readonly audit: AuditService,
  ) {}

  /** Call before the deactivation's transaction (see PurgeSafeguards.prepare). */
  prepare(organizationId: string): Promise<void> {
    return this.safeguards.prepare(organizationId);
  }

  /**
   * Call first in the deactivation's transaction, before any other statement: the lock that
   * serialises the organization's deactivations (see PurgeSafeguards.lockForDeactivation).
   */
  async lockForDeactivation(organizationId: string): Promise<DeactivationLock> {
    if (!this.database.inTransaction) {
      throw new DatabaseUsageError("PurgeScheduler.lockForDeactivation() must run inside the deactivation's transaction");
    }
    return { organizationId, policy: await this.safeguards.lockForDeactivation(organizationId) };
  }

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
   *
   * The organization's purge policy decides how the purge starts (PurgeSafeguards): a held or
   * scheduled one keeps the user's keys (`deferred`), whatever `keyDestruction` asks.
   */
  async record(user: PurgeSubject, lock: DeactivationLock, keyDestruction: KeyDestruction = 'now'): Promise<{ purgeId: string }> {
    if (!this.database.inTransaction) {
      throw new DatabaseUsageError("PurgeScheduler.record() must run inside the deactivation's transaction");
    }
    if (lock.organizationId !== user.organizationId) {
      throw new DatabaseUsageError("PurgeScheduler.record() needs the lock of the user's own organization");
    }
    const purgeId = randomUUID();
    // Set here rather than by the column default, which on SQLite keeps only whole seconds.
    const requestedAt = new Date();
    // Under the lock the caller took first, with the policy it read.
    const start = await this.safeguards.decide(user, requestedAt, lock.policy);
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
    // After the purges are locked: a running purge's deferred key step locks its purge row, then the keys.
    const keys = await this.destroyOrRetireKeys(user.id, taken, start.state === 'pending' ? keyDestruction : 'deferred', requestedAt);
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
      state: start.state,
      holdReason: start.state === 'held' ? start.holdReason : null,
      runAfter: start.state === 'scheduled' ? start.runAfter : null,
    });
    const merged = taken.map((purge) => purge.id);
    await this.purges.mergeInto(merged, purgeId, requestedAt);
    if (start.state === 'held') {
      await this.safeguards.reportHeld(purgeId, user, start);
    }
    this.logger.log(
      {
        purgeId,
        state: start.state,
        holdReason: start.state === 'held' ? start.holdReason : undefined,
        runAfter: start.state === 'scheduled' ? start.runAfter : undefined,
        userId: user.id,
        messages: messages.count,
        files: files.count,
        merged,
        dataKeysDestroyed: keys.dataKeysDestroyed.map((key) => key.id),
        dataKeysToDestroy: keys.dataKeyIdsToDestroy,
      },
      'purge recorded',
    );
    await this.database.afterCommit(() => this.dispatchStarted(purgeId, start));
    return { purgeId };
  }

  /**
   * In the reactivation's transaction (the user's row locked by it): the user's held or scheduled
   * purges end cancelled, their keys kept, each audited. Returns the ids cancelled.
   */
  async cancelWaiting(user: PurgeSubject): Promise<string[]> {
    if (!this.database.inTransaction) {
      throw new DatabaseUsageError("PurgeScheduler.cancelWaiting() must run inside the reactivation's transaction");
    }
    const cancelled = await this.purges.cancelWaitingOfUser(user.id, new Date());
    for (const purgeId of cancelled) {
      await this.audit.record(
        {
          organizationId: user.organizationId,
          type: 'purge.cancelled',
          targetType: 'purge',
          targetId: purgeId,
          detail: 'user_reactivated',
        },
        { sourceAddress: null, requestId: null },
      );
      this.logger.log({ purgeId, userId: user.id }, 'waiting purge cancelled: the user was reactivated; content and data keys kept');
    }
    return cancelled;
  }

  private dispatchStarted(purgeId: string, start: PurgeStart): Promise<void> {
    if (start.state === 'held') {
      // An administrator's release, or the lifting of the legal hold, dispatches it.
      return Promise.resolve();
    }
    return this.dispatch(purgeId, start.state === 'scheduled' ? start.runAfter : undefined);
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
    // Every key the user still has, not only the current one: keys kept by a purge that a
    // reactivation cancelled hold content this purge's cutoffs cover too.
    const pending = new Set([...taken.flatMap((purge) => purge.dataKeyIdsToDestroy), ...(await this.dataKeys.retireAllKeys(userId))]);
    return { dataKeysDestroyedAt: null, dataKeysDestroyed: carried, dataKeyIdsToDestroy: [...pending] };
  }

  /**
   * Call after the recording transaction commits: hands the purge to the queue. Never throws and
   * never waits long: if the queue is unreachable (a Redis outage) the purge stays pending, durable,
   * and a worker's reconciler dispatches it once the queue is back. With `runAfter` (a scheduled
   * purge) the job is delayed until then where the queue can delay jobs; the reconciler makes the
   * purge pending at that time in any case.
   */
  async dispatch(purgeId: string, runAfter?: Date): Promise<void> {
    try {
      const purge = await this.purges.findById(purgeId);
      if (!purge || !(['pending', 'running', 'failed', 'scheduled'] as string[]).includes(purge.state)) {
        return;
      }
      const delayMs = runAfter === undefined ? undefined : Math.max(0, runAfter.getTime() - Date.now());
      await this.queue.enqueue({ purgeId, attempt: purge.attempts, delayMs });
    } catch (error) {
      this.logger.warn(
        { purgeId, reason: error instanceof Error ? error.message : String(error) },
        'purge not dispatched; it stays pending for the reconciler',
      );
    }
  }
}
