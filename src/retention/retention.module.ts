import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { Message } from '../history/message.entity';
import { StoredFile } from '../history/stored-file.entity';
import { Purge } from './purge.entity';
import { PurgeScheduler } from './purge-scheduler';
import { PurgedItem } from './purged-item.entity';

@Module({
  imports: [TypeOrmModule.forFeature([Purge, PurgedItem, Message, StoredFile])],
  providers: [PurgeScheduler],
  exports: [PurgeScheduler],
})
export class RetentionModule {}
