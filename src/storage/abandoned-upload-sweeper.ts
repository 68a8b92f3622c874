import { Injectable, Logger, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { PeriodicSweep } from '../common/periodic-sweep';
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
  private readonly sweeps = new PeriodicSweep('abandoned upload sweep', () => this.sweep(), this.logger);

  constructor(
    private readonly storage: BlobStorage,
    private readonly settings: Settings,
  ) {}

  onApplicationBootstrap(): void {
    if (!this.settings.runsPurges) {
      return;
    }
    this.sweeps.start(SWEEP_INTERVAL_MS);
  }

  async onModuleDestroy(): Promise<void> {
    await this.sweeps.stop();
  }

  /** Drops what was staged before `now` minus the threshold; resolves with how many. */
  async sweep(now = new Date()): Promise<number> {
    const dropped = await this.storage.sweepAbandoned(new Date(now.getTime() - ABANDONED_AFTER_MS));
    if (dropped > 0) {
      this.logger.log({ dropped }, 'dropped the staged bytes of abandoned uploads');
    }
    return dropped;
  }
}
