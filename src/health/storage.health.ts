import { Injectable } from '@nestjs/common';
import { HealthIndicatorResult, HealthIndicatorService } from '@nestjs/terminus';
import { Settings } from '../config/settings';
import { BlobStorage } from '../storage/blob-storage';
import { withTimeout } from './with-timeout';

/** The file store answers (HeadBucket on S3: the bucket exists and these credentials reach it). */
@Injectable()
export class StorageHealthIndicator {
  constructor(
    private readonly health: HealthIndicatorService,
    private readonly storage: BlobStorage,
    private readonly settings: Settings,
  ) {}

  async isReachable(key = 'storage'): Promise<HealthIndicatorResult> {
    const indicator = this.health.check(key);
    try {
      await withTimeout(this.storage.checkReachable(), this.settings.healthCheckTimeoutMs);
      return indicator.up();
    } catch (error) {
      return indicator.down({ message: error instanceof Error ? error.message : 'unreachable' });
    }
  }
}
