import { Module } from '@nestjs/common';
import { ContentEncryptionModule } from '../../content-encryption/content-encryption.module';
import { HistoryModule } from '../../history/history.module';
import { AbandonedUploadSweeper } from '../../storage/abandoned-upload-sweeper';
import { StorageModule } from '../../storage/storage.module';
import { RetentionModule } from '../retention.module';
import { OrphanBlobSweeper } from './orphan-blob-sweeper';
import { PurgeBatches } from './purge-batches';
import { purgeConsumerProvider } from './purge-consumer.provider';
import { PurgeHandler } from './purge-handler';
import { PurgeMetrics } from './purge-metrics';
import { PurgeReconciler } from './purge-reconciler';

/**
 * Running purges: the handler, the queue consumer and the reconciler (active unless
 * PROCESS_ROLE=api), the storage sweeps, and the queue metrics. Loaded by the service process only,
 * never by the CLI, so a CLI command starts no sweep.
 */
@Module({
  imports: [RetentionModule, HistoryModule, StorageModule, ContentEncryptionModule],
  providers: [PurgeHandler, PurgeBatches, PurgeReconciler, PurgeMetrics, OrphanBlobSweeper, AbandonedUploadSweeper, purgeConsumerProvider],
  exports: [PurgeHandler, PurgeReconciler, OrphanBlobSweeper],
})
export class PurgeRunnerModule {}
