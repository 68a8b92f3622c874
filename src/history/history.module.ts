import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { StorageModule } from '../storage/storage.module';
import { User } from '../users/user.entity';
import { HistoryPurgeScope } from './history-purge-scope';
import { HistoryPurgeScopeRepository } from './history-purge-scope.repository';
import { HistoryController } from './history.controller';
import { HistoryService } from './history.service';
import { Message } from './message.entity';
import { StoredFile } from './stored-file.entity';

/** A user's files and messages. Reads users through their entity only, so Users can depend on Retention, and Retention on History, without a cycle. */
@Module({
  imports: [TypeOrmModule.forFeature([Message, StoredFile, User]), StorageModule],
  controllers: [HistoryController],
  providers: [HistoryService, HistoryPurgeScope, HistoryPurgeScopeRepository],
  exports: [HistoryPurgeScope],
})
export class HistoryModule {}
