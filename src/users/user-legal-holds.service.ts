import { Injectable } from '@nestjs/common';
import { AdminPrincipal } from '../auth/principal';
import { notFound } from '../common/domain-error';
import { RequestContext } from '../common/request-context';
import { Database } from '../database/database';
import { LegalHoldOutcome, LegalHoldsService } from '../retention/safeguards/legal-holds.service';
import { UsersRepository } from './users.repository';

/**
 * Legal holds on the organization's users (deleted ones included: their content may be held too).
 * Each change runs with the user's row locked, so a deactivation of the user is wholly before or
 * wholly after it: it either sees the hold, or its purge is there for the hold to find.
 */
@Injectable()
export class UserLegalHoldsService {
  constructor(
    private readonly database: Database,
    private readonly users: UsersRepository,
    private readonly holds: LegalHoldsService,
  ) {}

  async get(organizationId: string, userId: string): Promise<LegalHoldOutcome> {
    const user = await this.users.findById(organizationId, userId);
    if (!user) {
      throw notFound('User');
    }
    return this.holds.find(user);
  }

  place(admin: AdminPrincipal, userId: string, reason: string, context: RequestContext): Promise<LegalHoldOutcome> {
    return this.database.transaction(async () =>
      this.holds.place(await this.lockedUser(admin.organizationId, userId), reason, admin, context),
    );
  }

  lift(admin: AdminPrincipal, userId: string, context: RequestContext): Promise<LegalHoldOutcome> {
    return this.database.transaction(async () => this.holds.lift(await this.lockedUser(admin.organizationId, userId), admin, context));
  }

  private async lockedUser(organizationId: string, userId: string): Promise<{ id: string; organizationId: string; active: boolean }> {
    const user = await this.users.lockById(organizationId, userId);
    if (!user) {
      throw notFound('User');
    }
    return user;
  }
}
