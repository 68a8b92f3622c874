import { Module } from '@nestjs/common';
import { loadOnDemand } from '../common/load-on-demand';
import { Settings } from '../config/settings';
import { MetricsRegistry } from '../metrics/metrics-registry';
import { BlobStorage } from './blob-storage';
import { LocalDiskBlobStorage } from './local-disk-blob-storage';
import { MeasuredBlobStorage } from './measured-blob-storage';
import { StorageSweepMetrics } from './storage-sweep-metrics';

// The S3 driver and the AWS SDK are imported only when S3 storage is configured (docs/performance.md).
const loadS3Driver = loadOnDemand('The S3 storage driver (@aws-sdk/client-s3)', () => import('./s3-blob-storage.js'));

@Module({
  providers: [
    {
      provide: BlobStorage,
      inject: [Settings, MetricsRegistry],
      useFactory: async (settings: Settings, registry: MetricsRegistry): Promise<BlobStorage> => {
        const s3 = settings.fileStorage.s3;
        if (!s3) {
          return new MeasuredBlobStorage(new LocalDiskBlobStorage(settings.fileStorage.directory), 'local', registry);
        }
        const { S3BlobStorage } = await loadS3Driver();
        return new MeasuredBlobStorage(S3BlobStorage.connect(s3), 's3', registry);
      },
    },
    StorageSweepMetrics,
  ],
  exports: [BlobStorage, StorageSweepMetrics],
})
export class StorageModule {}
