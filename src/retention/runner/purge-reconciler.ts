import { Injectable, Logger, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { Settings } from '../../config/settings';
import { PurgeRepository } from '../purge.repository';
import { PurgeQueue } from '../queue/purge-queue';

const DUE_PER_PASS = 100;

/**
 * What makes purges durable beyond the queue: at start-up and then periodically, every worker
 * dispatches the purges that are due (pending ones whose dispatch was lost, for example during a
 * Redis outage; failed ones past their backoff; running ones whose worker died and whose lease
 * expired; scheduled ones whose grace period has ended). Dispatching is idempotent, so several
 * workers doing it at once is harmless.
 */
@Injectable()
export class PurgeReconciler implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger(PurgeReconciler.name);
  private timer: NodeJS.Timeout | null = null;
  private passInFlight: Promise<void> | null = null;

  constructor(
    private readonly purges: PurgeRepository,
    private readonly queue: PurgeQueue,
    private readonly settings: Settings,
  ) {}

  onApplicationBootstrap(): void {
    if (!this.settings.runsPurges) {
      return;
    }
    this.schedulePass();
    this.timer = setInterval(() => this.schedulePass(), this.settings.purge.reconcileIntervalMs);
  }

  async onModuleDestroy(): Promise<void> {
    if (this.timer) {
      clearInterval(this.timer);
      this.timer = null;
    }
    await this.passInFlight;
  }

  /**
   * One pass: scheduled purges whose grace period has ended become pending (each a conditional
   * update, so a reactivation that cancelled one first wins), then every purge that is due now is
   * dispatched. Returns how many it dispatched. Held and scheduled purges are never due.
   */
  async reconcile(): Promise<number> {
    const now = new Date();
    for (const id of await this.purges.scheduledDue(now, DUE_PER_PASS)) {
      if (await this.purges.promoteScheduled(id, now)) {
        this.logger.log({ purgeId: id }, 'grace period over: scheduled purge is pending');
      }
    }
    const due = await this.purges.findDue(new Date(), DUE_PER_PASS);
    let dispatched = 0;
    for (const purge of due) {
      try {
        await this.queue.enqueue({ purgeId: purge.id, attempt: purge.attempts });
        dispatched += 1;
      } catch (error) {
        // The queue is unreachable: the next pass tries again.
        this.logger.warn(
          { purgeId: purge.id, reason: error instanceof Error ? error.message : String(error) },
          'could not dispatch a due purge',
        );
        break;
      }
    }
    if (dispatched > 0) {
      this.logger.log({ dispatched }, 'reconciler dispatched due purges');
    }
    return dispatched;
  }

  private schedulePass(): void {
    if (this.passInFlight) {
      return;
    }
    this.passInFlight = this.reconcile()
      .then(
        () => undefined,
        (error: unknown) => this.logger.warn({ reason: error instanceof Error ? error.message : String(error) }, 'reconciler pass failed'),
      )
      .finally(() => {
        this.passInFlight = null;
      });
  }
}
