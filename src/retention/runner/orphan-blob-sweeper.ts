import { Injectable, Logger, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { PeriodicSweep } from '../../common/periodic-sweep';
import { Settings } from '../../config/settings';
import { HistoryPurgePort } from '../../history/history-purge.port';
import { BlobStorage } from '../../storage/blob-storage';
import { StorageSweepMetrics } from '../../storage/storage-sweep-metrics';

/**
 * Deletes stored bytes that no file row refers to, such as those of an upload whose process was
 * killed after its bytes landed and before its row was inserted. Only bytes older than STORAGE_ORPHAN_GRACE_MS are considered, so an upload
 * whose row is about to be inserted is never touched. At start-up, then periodically, on
 * processes that run purges.
 */
@Injectable()
export class OrphanBlobSweeper implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger(OrphanBlobSweeper.name);
  private readonly sweeps = new PeriodicSweep('orphaned bytes sweep', () => this.sweep(), this.logger);

  constructor(
    private readonly storage: BlobStorage,
    private readonly history: HistoryPurgePort,
    private readonly settings: Settings,
    private readonly metrics: StorageSweepMetrics,
  ) {}

  onApplicationBootstrap(): void {
    if (this.settings.runsPurges) {
      this.sweeps.start(this.settings.fileStorage.sweepIntervalMs, { atStart: true });
    }
  }

  async onModuleDestroy(): Promise<void> {
    await this.sweeps.stop();
  }

  /** Deletes the orphans last written before `now` minus the grace time; resolves with how many. */
  async sweep(now = new Date()): Promise<number> {
    const before = now.getTime() - this.settings.fileStorage.orphanGraceMs;
    let deleted = 0;
    for await (const page of this.storage.list()) {
      const old = page.filter((blob) => blob.modifiedAt.getTime() < before).map((blob) => blob.key);
      if (old.length === 0) {
        continue;
      }
      const orphans = await this.history.unreferencedStorageKeys(old);
      if (orphans.length === 0) {
        continue;
      }
      const failures = await this.storage.deleteMany(orphans);
      deleted += orphans.length - failures.size;
      if (failures.size > 0) {
        this.logger.warn({ undeleted: failures.size, reason: [...failures.values()][0] }, 'some orphaned bytes could not be deleted');
      }
    }
    this.metrics.swept('orphan', deleted);
    if (deleted > 0) {
      this.logger.log({ deleted }, 'deleted stored bytes no file refers to');
    }
    return deleted;
  }
}
