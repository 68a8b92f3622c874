import { Injectable, Logger } from '@nestjs/common';
import { AuditService } from '../../audit/audit.service';
import { HoldReason } from '../purge.entity';
import { PurgeRepository } from '../purge.repository';
import { LegalHoldRepository } from './legal-hold.repository';
import { PurgePolicy } from './purge-policy';
import { PurgePolicyRepository } from './purge-policy.repository';

/** How a new purge starts: at once, held for an administrator or a legal hold, or after the grace period. */
export type PurgeStart =
  | { state: 'pending' }
  | { state: 'held'; holdReason: HoldReason; recentPurges: number; policy: PurgePolicy }
  | { state: 'scheduled'; runAfter: Date };

const NO_REQUEST = { sourceAddress: null, requestId: null };

/**
 * The deactivation's side of the safeguards: decides, in the deactivation's transaction, whether
 * its purge runs at once, waits for the grace period, or is held (legal hold first, then the
 * mass-deactivation breaker).
 */
@Injectable()
export class PurgeSafeguards {
  private readonly logger = new Logger(PurgeSafeguards.name);

  constructor(
    private readonly policies: PurgePolicyRepository,
    private readonly legalHolds: LegalHoldRepository,
    private readonly purges: PurgeRepository,
    private readonly audit: AuditService,
  ) {}

  /** Before the deactivation's transaction: the organization's policy row exists, for decide() to lock. */
  prepare(organizationId: string): Promise<void> {
    return this.policies.ensureRow(organizationId);
  }

  /**
   * The first statement of a deactivation's transaction: locks the organization's policy row until
   * the transaction ends, which serialises the organization's deactivations. First, because on
   * MySQL (repeatable read) a transaction's plain reads see the database as at its first plain
   * read: taken after this lock, that is after every deactivation that held it before committed.
   */
  async lockForDeactivation(organizationId: string): Promise<PurgePolicy> {
    return this.lockPolicy(organizationId);
  }

  /**
   * In the deactivation's transaction, under the lock lockForDeactivation took (`policy` is what it
   * read), before its purge is written: counts every purge of the organization requested in the
   * window before it, and its own, so of N concurrent deactivations exactly `threshold` proceed, on
   * any number of processes.
   */
  async decide(user: { id: string; organizationId: string }, requestedAt: Date, policy: PurgePolicy): Promise<PurgeStart> {
    let recentPurges = 0;
    if (policy.massDeactivation.enabled) {
      const since = new Date(requestedAt.getTime() - policy.massDeactivation.windowSeconds * 1000);
      recentPurges = (await this.purges.countRequestedSince(user.organizationId, since)) + 1;
    }
    if (await this.legalHolds.isHeld(user.id)) {
      return { state: 'held', holdReason: 'legal_hold', recentPurges, policy };
    }
    if (policy.massDeactivation.enabled && recentPurges > policy.massDeactivation.threshold) {
      return { state: 'held', holdReason: 'mass_deactivation', recentPurges, policy };
    }
    if (policy.graceSeconds > 0) {
      return { state: 'scheduled', runAfter: new Date(requestedAt.getTime() + policy.graceSeconds * 1000) };
    }
    return { state: 'pending' };
  }

  /** In the deactivation's transaction, once its held purge is written: the audit event and the alert. */
  async reportHeld(
    purgeId: string,
    user: { id: string; organizationId: string },
    start: Extract<PurgeStart, { state: 'held' }>,
  ): Promise<void> {
    const { threshold, windowSeconds } = start.policy.massDeactivation;
    const detail =
      start.holdReason === 'mass_deactivation' ? `mass_deactivation:${start.recentPurges}/${threshold}/${windowSeconds}s` : 'legal_hold';
    await this.audit.record(
      { organizationId: user.organizationId, type: 'purge.held', targetType: 'purge', targetId: purgeId, detail },
      NO_REQUEST,
    );
    if (start.holdReason === 'mass_deactivation') {
      this.logger.error(
        {
          organizationId: user.organizationId,
          purgeId,
          userId: user.id,
          purgesInWindow: start.recentPurges,
          threshold,
          windowSeconds,
        },
        'mass-deactivation breaker tripped: purge held until an administrator releases it (POST /admin/v1/purges/release)',
      );
    }
  }

  private async lockPolicy(organizationId: string): Promise<PurgePolicy> {
    const locked = await this.policies.lock(organizationId);
    if (locked) {
      return locked;
    }
    // prepare() was not called: create the row here, without reading first (a plain read would fix
    // the transaction's snapshot before the lock). Safe on SQLite, where writes take turns; on
    // MySQL two first deactivations doing so at once may deadlock, and one is refused.
    await this.policies.insertDefaults(organizationId);
    const created = await this.policies.lock(organizationId);
    if (!created) {
      throw new Error(`the purge policy row of organization ${organizationId} is missing right after its insert`);
    }
    return created;
  }
}
