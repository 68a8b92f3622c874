import { Injectable } from '@nestjs/common';
import { DomainError, DomainErrorCode, notFound } from '../common/domain-error';
import { PurgeResponseDto, toPurgeResponse } from './dto/purge.dto';
import { PurgeScheduler } from './purge-scheduler';
import { PurgeRepository } from './purge.repository';

/** An administrator's retry of a failed purge, once the cause is fixed. */
@Injectable()
export class PurgeRetryService {
  constructor(
    private readonly purges: PurgeRepository,
    private readonly scheduler: PurgeScheduler,
  ) {}

  async retry(organizationId: string, purgeId: string): Promise<PurgeResponseDto> {
    if (!(await this.purges.markForRetry(organizationId, purgeId, new Date()))) {
      const purge = await this.purges.findInOrganization(organizationId, purgeId);
      if (!purge) {
        throw notFound('Purge');
      }
      throw new DomainError(
        DomainErrorCode.PurgeNotRetryable,
        purge.state === 'merged'
          ? `Only failed purges can be retried; this one was merged into purge ${purge.mergedIntoId ?? ''}, which carries on its work: retry that one if it failed.`
          : `Only failed purges can be retried; this one is ${purge.state}.`,
      );
    }
    await this.scheduler.dispatch(purgeId);
    const purge = await this.purges.findInOrganization(organizationId, purgeId);
    if (!purge) {
      throw notFound('Purge');
    }
    return toPurgeResponse(purge, await this.purges.mergedInto(purge.id));
  }
}
