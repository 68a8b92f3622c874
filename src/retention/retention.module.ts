import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { AuditModule } from '../audit/audit.module';
import { ContentEncryptionModule } from '../content-encryption/content-encryption.module';
import { HistoryModule } from '../history/history.module';
import { PurgeQueryService } from './purge-query.service';
import { PurgeRetryService } from './purge-retry.service';
import { PurgeScheduler } from './purge-scheduler';
import { Purge } from './purge.entity';
import { PurgeRepository } from './purge.repository';
import { PurgedItem } from './purged-item.entity';
import { PurgedItemRepository } from './purged-item.repository';
import { PurgesController } from './purges.controller';
import { InProcessPurgeChannel } from './queue/in-process-purge-channel';
import { PurgeQueue } from './queue/purge-queue';
import { purgeQueueProvider } from './queue/purge-queue.provider';
import { LegalHold } from './safeguards/legal-hold.entity';
import { LegalHoldRepository } from './safeguards/legal-hold.repository';
import { LegalHoldsService } from './safeguards/legal-holds.service';
import { PurgePolicyController } from './safeguards/purge-policy.controller';
import { PurgePolicyEntity } from './safeguards/purge-policy.entity';
import { PurgePolicyRepository } from './safeguards/purge-policy.repository';
import { PurgePolicyService } from './safeguards/purge-policy.service';
import { PurgeReleaseService } from './safeguards/purge-release.service';
import { PurgeSafeguards } from './safeguards/purge-safeguards';

/**
 * Recording, dispatching and showing purges: what the users domain and administrators need.
 * Running them is PurgeRunnerModule's job, which only the service process loads (not the CLI).
 */
@Module({
  imports: [
    TypeOrmModule.forFeature([Purge, PurgedItem, PurgePolicyEntity, LegalHold]),
    HistoryModule,
    ContentEncryptionModule,
    AuditModule,
  ],
  controllers: [PurgesController, PurgePolicyController],
  providers: [
    PurgeSafeguards,
    PurgePolicyRepository,
    PurgePolicyService,
    PurgeReleaseService,
    LegalHoldRepository,
    LegalHoldsService,
    PurgeScheduler,
    PurgeQueryService,
    PurgeRetryService,
    PurgeRepository,
    PurgedItemRepository,
    InProcessPurgeChannel,
    purgeQueueProvider,
  ],
  exports: [
    PurgeScheduler,
    LegalHoldsService,
    PurgePolicyService,
    PurgeQueryService,
    PurgeRetryService,
    PurgeRepository,
    PurgedItemRepository,
    InProcessPurgeChannel,
    PurgeQueue,
  ],
})
export class RetentionModule {}
