import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { Injectable, Logger } from '@nestjs/common';
import { Settings } from '../../config/settings';
import { nextRetryDelayMs } from '../purge-backoff';
import { PurgeRecord, PurgeRepository } from '../purge.repository';
import { PurgedItemRepository } from '../purged-item.repository';
import { Lease, PurgeBatches } from './purge-batches';
import { PurgeCheckpointCadence } from './purge-checkpoint-cadence';
import { LeaseLostError, UndeletedFilesError } from './purge-errors';
import { PurgeMetrics } from './purge-metrics';

export type PurgeOutcome = 'completed' | 'failed' | 'skipped' | 'released' | 'lease-lost';

const LAST_ERROR_MAX_LENGTH = 1000;

/**
 * The one purge handler: the BullMQ worker and the in-process executor both call `run`, and so
 * can tests. Safe to call any number of times, concurrently, from any process: it first claims
 * the purge (only a due one can be claimed, by one worker), works in committed batches, and
 * recomputes the receipt from the ledger of what was deleted, so a re-run deletes nothing more
 * and reports the same totals.
 */
@Injectable()
export class PurgeHandler {
  private readonly logger = new Logger(PurgeHandler.name);
  /** This worker's name on the leases it holds. */
  readonly owner = `${hostname().slice(0, 40)}:${process.pid}:${randomBytes(4).toString('hex')}`;

  constructor(
    private readonly purges: PurgeRepository,
    private readonly ledger: PurgedItemRepository,
    private readonly batches: PurgeBatches,
    private readonly metrics: PurgeMetrics,
    private readonly settings: Settings,
  ) {}

  async run(purgeId: string, signal?: AbortSignal): Promise<PurgeOutcome> {
    // Only a pending (or failed and due, or stalled) purge can be claimed: a held, scheduled or
    // cancelled one is left as it is. A delayed job of a scheduled purge may arrive before the
    // reconciler made it pending: then it does so itself, if the grace period has ended.
    let purge = await this.purges.claim(purgeId, this.owner, new Date(), this.settings.purge.leaseMs);
    if (!purge && (await this.purges.promoteScheduled(purgeId, new Date()))) {
      purge = await this.purges.claim(purgeId, this.owner, new Date(), this.settings.purge.leaseMs);
    }
    if (!purge) {
      this.logger.debug({ purgeId }, 'purge not due, waiting or cancelled, or taken by another worker; nothing to do');
      return 'skipped';
    }
    this.logger.log({ purgeId, userId: purge.userId, attempt: purge.attempts }, 'purge started');
    try {
      if ((await this.deleteEverything(purge, signal)) === 'aborted') {
        await this.purges.release(purgeId, this.owner, new Date());
        this.logger.log({ purgeId }, 'purge handed back on shutdown; another worker resumes it');
        return 'released';
      }
      return await this.complete(purge);
    } catch (error) {
      if (error instanceof LeaseLostError) {
        this.logger.warn(
          { purgeId },
          'purge no longer held by this worker: taken over after it stalled past its lease, or merged into a later purge of the user',
        );
        return 'lease-lost';
      }
      return this.fail(purge, error);
    }
  }

  /** Every batch, then the WAL checkpoint still owed for the last of them, however the walk ends. */
  private async deleteEverything(claimed: PurgeRecord, signal: AbortSignal | undefined): Promise<'done' | 'aborted'> {
    const cadence = new PurgeCheckpointCadence();
    try {
      return await this.deleteInBatches(claimed, signal, cadence);
    } finally {
      if (cadence.pending) {
        await this.batches.checkpoint(claimed.id);
      }
    }
  }

  private async deleteInBatches(
    claimed: PurgeRecord,
    signal: AbortSignal | undefined,
    cadence: PurgeCheckpointCadence,
  ): Promise<'done' | 'aborted'> {
    const lease: Lease = { owner: this.owner, leaseMs: this.settings.purge.leaseMs };
    const { batchSize } = this.settings.purge;
    // Before any item goes: from this commit on, what is left of the content is unreadable.
    const purge = await this.batches.destroyDeferredKeys(claimed, lease);
    const undeleted: { id: number; reason: string }[] = [];
    // Files first: their bytes are what matters most, and a failing one must not hide the rest,
    // so the walk goes past files that could not be deleted and reports them at the end.
    for (let afterId = 0; ;) {
      if (signal?.aborted) {
        return 'aborted';
      }
      const batch = await this.batches.deleteFiles(purge, afterId, batchSize, lease);
      if (batch.seen === 0) {
        break;
      }
      undeleted.push(...batch.undeleted);
      afterId = batch.lastId;
      this.logger.debug({ purgeId: purge.id, files: batch.seen, undeleted: batch.undeleted.length }, 'purge batch of files committed');
      await this.checkpointIfDue(purge.id, cadence, batch.seen);
      await this.pause();
    }
    for (let afterId = 0; ;) {
      if (signal?.aborted) {
        return 'aborted';
      }
      const batch = await this.batches.deleteMessages(purge, afterId, batchSize, lease);
      if (batch.deleted === 0) {
        break;
      }
      afterId = batch.lastId;
      this.logger.debug({ purgeId: purge.id, messages: batch.deleted }, 'purge batch of messages committed');
      await this.checkpointIfDue(purge.id, cadence, batch.deleted);
      await this.pause();
    }
    if (undeleted.length > 0) {
      throw new UndeletedFilesError(
        undeleted.map((file) => file.id),
        undeleted[0].reason,
      );
    }
    return 'done';
  }

  private async complete(purge: PurgeRecord): Promise<PurgeOutcome> {
    const receipt = await this.ledger.receipt([purge.id, ...(await this.purges.mergedInto(purge.id))]);
    const completedAt = new Date();
    if (!(await this.purges.complete(purge.id, this.owner, receipt, completedAt))) {
      throw new LeaseLostError(purge.id);
    }
    await this.batches.checkpoint(purge.id);
    await this.batches.removeUserFolder(purge);
    const startedAt = purge.startedAt ?? completedAt;
    this.metrics.observeCompleted((completedAt.getTime() - startedAt.getTime()) / 1000);
    this.logger.log(
      {
        purgeId: purge.id,
        userId: purge.userId,
        files: receipt.files,
        messages: receipt.messages,
        bytes: receipt.bytes,
        digest: receipt.digest,
      },
      'purge completed',
    );
    return 'completed';
  }

  /** Failed, visibly: the error is kept, and an automatic retry is scheduled with backoff while attempts remain. */
  private async fail(purge: PurgeRecord, error: unknown): Promise<PurgeOutcome> {
    const reason = (error instanceof Error ? error.message : String(error)).slice(0, LAST_ERROR_MAX_LENGTH);
    const delayMs = nextRetryDelayMs(purge.attempts, this.settings.purge.retryBaseMs, this.settings.purge.maxAttempts);
    const nextAttemptAt = delayMs === null ? null : new Date(Date.now() + delayMs);
    this.logger.error({ purgeId: purge.id, attempt: purge.attempts, reason, nextAttemptAt }, 'purge failed');
    try {
      await this.purges.fail(purge.id, this.owner, reason, nextAttemptAt);
    } catch (recordError) {
      // The lease then expires and the reconciler hands the purge to a worker again.
      this.logger.error(
        { purgeId: purge.id, reason: recordError instanceof Error ? recordError.message : String(recordError) },
        'could not record the purge failure',
      );
    }
    return 'failed';
  }

  private async checkpointIfDue(purgeId: string, cadence: PurgeCheckpointCadence, items: number): Promise<void> {
    if (cadence.deleted(items)) {
      await this.batches.checkpoint(purgeId);
      cadence.checkpointed();
    }
  }

  private async pause(): Promise<void> {
    if (this.settings.purge.batchPauseMs > 0) {
      await sleep(this.settings.purge.batchPauseMs);
    }
  }
}
