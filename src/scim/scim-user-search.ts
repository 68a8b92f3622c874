import { Injectable, Logger } from '@nestjs/common';
import { Settings } from '../config/settings';
import { StatementTimeLimitExceeded } from '../database/statement-time-limit';
import { UserPage, UserProvisioningService } from '../users/user-provisioning.service';
import { FilterTooComplexError, parseUserFilter, ScimFilterError, UserFilter } from './filter';
import { ScimException } from './scim-error';
import { ScimFilterMetrics } from './scim-filter.metrics';

/**
 * GET /Users with its `filter`, at a bounded cost: a filter holds at most SCIM_FILTER_MAX_CLAUSES
 * comparisons, and on MySQL/MariaDB its queries are stopped after SCIM_FILTER_TIME_LIMIT_MS.
 */
@Injectable()
export class ScimUserSearch {
  private readonly logger = new Logger(ScimUserSearch.name);

  constructor(
    private readonly users: UserProvisioningService,
    private readonly settings: Settings,
    private readonly metrics: ScimFilterMetrics,
  ) {}

  async list(organizationId: string, filter: unknown, offset: number, count: number): Promise<UserPage> {
    const parsed = this.filterOf(filter);
    if (parsed === null) {
      return this.users.list(organizationId, null, offset, count);
    }
    try {
      return await this.users.list(organizationId, parsed, offset, count, this.settings.scimLimits.filterTimeLimitMs);
    } catch (error) {
      if (!(error instanceof StatementTimeLimitExceeded)) {
        throw error;
      }
      this.metrics.refused('time_limit');
      this.logger.warn({ organizationId, timeLimitMs: error.timeLimitMs }, 'SCIM filter stopped by the statement time limit');
      // 400, not 503: the limit is far above what an indexed lookup (Okta's, Entra's) takes even
      // under load, so this filter is what costs too much, and retrying it would cost as much again.
      throw new ScimFilterError(
        `Filter is too expensive: it could not be evaluated within ${error.timeLimitMs} ms. Use fewer conditions, or eq on userName, externalId or id.`,
      );
    }
  }

  private filterOf(filter: unknown): UserFilter | null {
    if (filter === undefined) {
      return null;
    }
    if (typeof filter !== 'string') {
      throw new ScimException(400, 'filter must be given once.', 'invalidFilter');
    }
    return this.parse(filter);
  }

  private parse(filter: string): UserFilter {
    try {
      return parseUserFilter(filter, { maxClauses: this.settings.scimLimits.filterMaxClauses });
    } catch (error) {
      if (error instanceof FilterTooComplexError) {
        this.metrics.refused('too_many_clauses');
      }
      throw error;
    }
  }
}
