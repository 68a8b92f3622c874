import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { ContentEncryptionModule } from '../content-encryption/content-encryption.module';
import { StorageModule } from '../storage/storage.module';
import { HistoryContent } from './history-content';
import { HistoryPurgeScope } from './history-purge-scope';
import { HistoryPurgeScopeRepository } from './history-purge-scope.repository';
import { HistoryPurgePort } from './history-purge.port';
import { HistoryReader } from './history-reader';
import { HistoryController } from './history.controller';
import { HistoryRepository } from './history.repository';
import { HistoryService } from './history.service';
import { LegacyHistorySealer } from './legacy-history-sealer';
import { LegacyHistoryRepository } from './legacy-history.repository';
import { Message } from './message.entity';
import { StoredFile } from './stored-file.entity';

/**
 * A user's files and messages. Retention reaches them only through HistoryPurgePort. The entities
 * are registered for the schema tooling only; every query goes through HistoryRepository, which
 * reads the users table itself, so Users can depend on Retention, and Retention on History, without a cycle.
 */
@Module({
  imports: [TypeOrmModule.forFeature([Message, StoredFile]), StorageModule, ContentEncryptionModule],
  controllers: [HistoryController],
  providers: [
    HistoryService,
    HistoryContent,
    HistoryReader,
    HistoryRepository,
    LegacyHistoryRepository,
    LegacyHistorySealer,
    HistoryPurgePort,
    HistoryPurgeScope,
    HistoryPurgeScopeRepository,
  ],
  exports: [HistoryService, HistoryPurgePort, HistoryPurgeScope, LegacyHistorySealer],
})
export class HistoryModule {}
