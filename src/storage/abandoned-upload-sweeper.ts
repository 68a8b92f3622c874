import { Injectable, Logger, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { PeriodicSweep } from '../common/periodic-sweep';
import { Settings } from '../config/settings';
import { BlobStorage } from './blob-storage';
import { StorageSweepMetrics } from './storage-sweep-metrics';

/**
 * S3 tells when a multipart upload began, not when its last part arrived: one still sending may
 * have begun long ago, so none younger than this is taken for abandoned, whatever the setting.
 */
export const S3_ABANDONED_AFTER_MS = 24 * 60 * 60 * 1000;

/**
 * Drops staged bytes of uploads that a crash or a lost connection left unfinished (staging files,
 * in-progress multipart uploads), at start-up and then periodically. Runs on processes that run
 * purges, so API-only ones stay light. A staging file is abandoned once nothing was written to it
 * for STAGED_UPLOAD_ABANDONED_AFTER_MS: past HTTP_IDLE_TIMEOUT_MS its connection was cut.
 */
@Injectable()
export class AbandonedUploadSweeper implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger(AbandonedUploadSweeper.name);
  private readonly sweeps = new PeriodicSweep('abandoned upload sweep', () => this.sweep(), this.logger);

  constructor(
    private readonly storage: BlobStorage,
    private readonly settings: Settings,
    private readonly metrics: StorageSweepMetrics,
  ) {}

  onApplicationBootstrap(): void {
    if (!this.settings.runsPurges) {
      return;
    }
    this.sweeps.start(this.settings.fileStorage.sweepIntervalMs, { atStart: true });
  }

  async onModuleDestroy(): Promise<void> {
    await this.sweeps.stop();
  }

  /** How long staged bytes must have lain untouched before they are taken for abandoned. */
  get thresholdMs(): number {
    const { stagedAbandonedAfterMs, s3 } = this.settings.fileStorage;
    return s3 ? Math.max(stagedAbandonedAfterMs, S3_ABANDONED_AFTER_MS) : stagedAbandonedAfterMs;
  }

  /** Drops what was staged (last written) before `now` minus the threshold; resolves with how many. */
  async sweep(now = new Date()): Promise<number> {
    const dropped = await this.storage.sweepAbandoned(new Date(now.getTime() - this.thresholdMs));
    this.metrics.swept('staging', dropped);
    if (dropped > 0) {
      this.logger.log({ dropped }, 'dropped the staged bytes of abandoned uploads');
    }
    return dropped;
  }
}
