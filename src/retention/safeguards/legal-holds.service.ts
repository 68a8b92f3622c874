import { Injectable } from '@nestjs/common';
import { AuditService } from '../../audit/audit.service';
import { DomainError, DomainErrorCode, notFound } from '../../common/domain-error';
import { RequestContext } from '../../common/request-context';
import { Database } from '../../database/database';
import { DatabaseUsageError } from '../../database/database-error';
import { PurgeRecord, PurgeRepository } from '../purge.repository';
import { LegalHoldRecord, LegalHoldRepository } from './legal-hold.repository';
import { PurgeReleaseService, Releaser } from './purge-release.service';

/** The user a hold is placed on or lifted from, locked by the caller's transaction (the users domain). */
export type HoldSubject = { id: string; organizationId: string; active: boolean };

export type LegalHoldOutcome = { hold: LegalHoldRecord | null; purge: PurgeRecord | null };

/**
 * Legal holds. A user under hold may be deactivated, but their purge is held (reason legal_hold)
 * until the hold is lifted, which releases it (subject to the grace period). A hold takes
 * precedence over the mass-deactivation breaker: placing one on a user whose purge waits (held by
 * the breaker, or scheduled) holds it for the legal hold instead. Content whose keys a purge
 * already destroyed cannot be held: 409, and nothing is written.
 */
@Injectable()
export class LegalHoldsService {
  constructor(
    private readonly database: Database,
    private readonly holds: LegalHoldRepository,
    private readonly purges: PurgeRepository,
    private readonly releases: PurgeReleaseService,
    private readonly audit: AuditService,
  ) {}

  async find(subject: HoldSubject): Promise<LegalHoldOutcome> {
    return { hold: await this.holds.find(subject.id), purge: await this.purges.latestForUser(subject.organizationId, subject.id) };
  }

  /** Inside the caller's transaction, the user's row locked: no deactivation of theirs can interleave. */
  async place(subject: HoldSubject, reason: string, admin: Releaser, context: RequestContext): Promise<LegalHoldOutcome> {
    this.assertInTransaction();
    const now = new Date();
    const purge = subject.active ? null : await this.purges.latestForUser(subject.organizationId, subject.id);
    if (purge) {
      await this.holdPurge(subject, purge, now);
    }
    const existing = await this.holds.find(subject.id);
    if (existing) {
      await this.holds.updateReason(subject.id, reason);
    } else {
      await this.holds.insert({
        userId: subject.id,
        organizationId: subject.organizationId,
        reason,
        placedBy: admin.userId,
        placedAt: now,
      });
    }
    await this.audit.record(
      {
        organizationId: subject.organizationId,
        type: 'legal_hold.placed',
        actorUserId: admin.userId,
        actorApiKeyId: admin.apiKeyId,
        targetType: 'user',
        targetId: subject.id,
        detail: purge ? `purge:${purge.id}` : null,
      },
      context,
    );
    return this.find(subject);
  }

  /** Inside the caller's transaction, the user's row locked. The purge it held goes on after commit. */
  async lift(subject: HoldSubject, admin: Releaser, context: RequestContext): Promise<LegalHoldOutcome> {
    this.assertInTransaction();
    if (!(await this.holds.delete(subject.id))) {
      throw notFound('Legal hold');
    }
    const latest = await this.purges.latestForUser(subject.organizationId, subject.id);
    let released: Awaited<ReturnType<PurgeReleaseService['releaseLocked']>> = null;
    if (latest?.state === 'held' && latest.holdReason === 'legal_hold') {
      const locked = await this.purges.lockInOrganization(subject.organizationId, latest.id);
      if (locked?.state === 'held' && locked.holdReason === 'legal_hold') {
        released = await this.releases.releaseLocked(admin, latest.id, 'legal_hold', locked.requestedAt, context);
      }
    }
    await this.audit.record(
      {
        organizationId: subject.organizationId,
        type: 'legal_hold.lifted',
        actorUserId: admin.userId,
        actorApiKeyId: admin.apiKeyId,
        targetType: 'user',
        targetId: subject.id,
        detail: released ? `released:${released.purgeId}` : null,
      },
      context,
    );
    await this.database.afterCommit(() => this.releases.dispatch(released));
    return this.find(subject);
  }

  private async holdPurge(subject: HoldSubject, purge: PurgeRecord, now: Date): Promise<void> {
    const locked = await this.purges.lockInOrganization(subject.organizationId, purge.id);
    const state = locked?.state ?? purge.state;
    if (state === 'held' && locked?.holdReason === 'legal_hold') {
      return;
    }
    if ((state === 'held' || state === 'scheduled') && (await this.purges.holdForLegal(purge.id, state, now))) {
      return;
    }
    if (state === 'cancelled' || state === 'merged') {
      return;
    }
    throw new DomainError(
      DomainErrorCode.LegalHoldTooLate,
      `The user's content can no longer be held: their purge ${purge.id} is ${state}, and it destroyed (or is destroying) the ` +
        "user's data keys, so their files and messages are unreadable already. Nothing was changed.",
    );
  }

  private assertInTransaction(): void {
    if (!this.database.inTransaction) {
      throw new DatabaseUsageError('legal holds change inside the transaction that locks the user');
    }
  }
}
