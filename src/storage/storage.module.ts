import { S3Client } from '@aws-sdk/client-s3';
import { Module } from '@nestjs/common';
import { Settings } from '../config/settings';
import { MetricsRegistry } from '../metrics/metrics-registry';
import { BlobStorage } from './blob-storage';
import { LocalDiskBlobStorage } from './local-disk-blob-storage';
import { MeasuredBlobStorage } from './measured-blob-storage';
import { S3BlobStorage } from './s3-blob-storage';
import { s3ClientConfig } from './s3-client-config';
import { StorageSweepMetrics } from './storage-sweep-metrics';

@Module({
  providers: [
    {
      provide: BlobStorage,
      inject: [Settings, MetricsRegistry],
      useFactory: (settings: Settings, registry: MetricsRegistry): BlobStorage => {
        const s3 = settings.fileStorage.s3;
        return s3
          ? new MeasuredBlobStorage(new S3BlobStorage(new S3Client(s3ClientConfig(s3)), s3.bucket, s3.prefix), 's3', registry)
          : new MeasuredBlobStorage(new LocalDiskBlobStorage(settings.fileStorage.directory), 'local', registry);
      },
    },
    StorageSweepMetrics,
  ],
  exports: [BlobStorage, StorageSweepMetrics],
})
export class StorageModule {}
