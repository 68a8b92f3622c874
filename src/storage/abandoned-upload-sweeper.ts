import { Injectable, Logger, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { Settings } from '../config/settings';
import { BlobStorage } from './blob-storage';

const SWEEP_INTERVAL_MS = 60 * 60 * 1000;
/** Longer than any upload can last, so only uploads nobody will finish are dropped. */
export const ABANDONED_AFTER_MS = 24 * 60 * 60 * 1000;

/**
 * Drops staged bytes of uploads that a crash or a lost connection left unfinished (staging files,
 * in-progress multipart uploads). Runs on processes that run purges, so API-only ones stay light.
 */
@Injectable()
export class AbandonedUploadSweeper implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger(AbandonedUploadSweeper.name);
  private timer: NodeJS.Timeout | null = null;
  private sweepInFlight: Promise<unknown> | null = null;

  constructor(
    private readonly storage: BlobStorage,
    private readonly settings: Settings,
  ) {}

  onApplicationBootstrap(): void {
    if (!this.settings.runsPurges) {
      return;
    }
    this.timer = setInterval(() => this.scheduleSweep(), SWEEP_INTERVAL_MS);
    this.timer.unref();
  }

  async onModuleDestroy(): Promise<void> {
    if (this.timer) {
      clearInterval(this.timer);
      this.timer = null;
    }
    await this.sweepInFlight;
  }

  /** Drops what was staged before `now` minus the threshold; resolves with how many. */
  async sweep(now = new Date()): Promise<number> {
    const dropped = await this.storage.sweepAbandoned(new Date(now.getTime() - ABANDONED_AFTER_MS));
    if (dropped > 0) {
      this.logger.log({ dropped }, 'dropped the staged bytes of abandoned uploads');
    }
    return dropped;
  }

  private scheduleSweep(): void {
    if (this.sweepInFlight) {
      return;
    }
    this.sweepInFlight = this.sweep()
      .catch((error: unknown) => this.logger.warn(`abandoned upload sweep failed: ${String(error)}`))
      .finally(() => {
        this.sweepInFlight = null;
      });
  }
}
