import { Injectable, Logger } from '@nestjs/common';
import { AuditService } from '../../audit/audit.service';
import { DomainError, DomainErrorCode, notFound } from '../../common/domain-error';
import { RequestContext } from '../../common/request-context';
import { Database } from '../../database/database';
import { PurgeScheduler } from '../purge-scheduler';
import { HoldReason } from '../purge.entity';
import { PurgeRepository } from '../purge.repository';
import { PurgePolicyRepository } from './purge-policy.repository';

/** Who releases: an administrator (their user and API key), or the lifting of a legal hold. */
export type Releaser = { organizationId: string; userId: string; apiKeyId: string | null };

const RELEASE_ALL_BATCH = 500;

/**
 * Releasing held purges. A released purge proceeds subject to the grace period, counted from its
 * deactivation: pending at once when that time has passed (or there is no grace), scheduled until
 * it otherwise. Each release is a conditional update of a purge still held for that reason, in a
 * transaction of its own, so a reactivation or a legal hold racing it is either seen or wins.
 */
@Injectable()
export class PurgeReleaseService {
  private readonly logger = new Logger(PurgeReleaseService.name);

  constructor(
    private readonly database: Database,
    private readonly purges: PurgeRepository,
    private readonly policies: PurgePolicyRepository,
    private readonly scheduler: PurgeScheduler,
    private readonly audit: AuditService,
  ) {}

  /** An administrator's release of one purge held by the breaker; 409 for any other state or reason. */
  async releaseOne(releaser: Releaser, purgeId: string, context: RequestContext): Promise<void> {
    const released = await this.database.transaction(async () => {
      const purge = await this.purges.lockInOrganization(releaser.organizationId, purgeId);
      if (!purge) {
        throw notFound('Purge');
      }
      if (purge.state !== 'held') {
        throw new DomainError(DomainErrorCode.PurgeNotReleasable, `Only held purges can be released; this one is ${purge.state}.`);
      }
      if (purge.holdReason === 'legal_hold') {
        throw new DomainError(
          DomainErrorCode.PurgeNotReleasable,
          `This purge is held because its user is under legal hold; lifting the hold (DELETE /admin/v1/users/${purge.userId}/legal-hold) releases it.`,
        );
      }
      return this.releaseLocked(releaser, purge.id, 'mass_deactivation', purge.requestedAt, context);
    });
    await this.dispatch(released);
  }

  /** Every purge of the organization held by the breaker. Returns how many were released. */
  async releaseAll(releaser: Releaser, reason: HoldReason, context: RequestContext): Promise<number> {
    let count = 0;
    for (;;) {
      const ids = await this.purges.heldIds(releaser.organizationId, reason, RELEASE_ALL_BATCH);
      if (ids.length === 0) {
        break;
      }
      for (const id of ids) {
        const released = await this.database.transaction(async () => {
          const purge = await this.purges.lockInOrganization(releaser.organizationId, id);
          if (purge?.state !== 'held' || purge.holdReason !== reason) {
            return null;
          }
          return this.releaseLocked(releaser, id, reason, purge.requestedAt, context);
        });
        if (released) {
          count += 1;
          await this.dispatch(released);
        }
      }
      if (ids.length < RELEASE_ALL_BATCH) {
        break;
      }
    }
    this.logger.log({ organizationId: releaser.organizationId, reason, released: count }, 'held purges released');
    return count;
  }

  /**
   * In the caller's transaction, the purge locked and held for `reason`: released, audited.
   * Returns what to dispatch after commit, or null when it was no longer so held.
   */
  async releaseLocked(
    releaser: Releaser,
    purgeId: string,
    reason: HoldReason,
    requestedAt: Date,
    context: RequestContext,
  ): Promise<{ purgeId: string; runAfter: Date | undefined } | null> {
    const now = new Date();
    const { graceSeconds } = await this.policies.find(releaser.organizationId);
    const graceEnds = new Date(requestedAt.getTime() + graceSeconds * 1000);
    const next = graceEnds > now ? { state: 'scheduled' as const, runAfter: graceEnds } : { state: 'pending' as const, runAfter: null };
    if (!(await this.purges.releaseHeld(purgeId, reason, next, releaser.userId, now))) {
      return null;
    }
    await this.audit.record(
      {
        organizationId: releaser.organizationId,
        type: 'purge.released',
        actorUserId: releaser.userId,
        actorApiKeyId: releaser.apiKeyId,
        targetType: 'purge',
        targetId: purgeId,
        detail: `${reason}:${next.state}`,
      },
      context,
    );
    return { purgeId, runAfter: next.runAfter ?? undefined };
  }

  async dispatch(released: { purgeId: string; runAfter: Date | undefined } | null): Promise<void> {
    if (released) {
      await this.scheduler.dispatch(released.purgeId, released.runAfter);
    }
  }
}
