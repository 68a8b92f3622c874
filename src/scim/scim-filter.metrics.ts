import { Injectable } from '@nestjs/common';
import { Counter } from 'prom-client';
import { MetricsRegistry } from '../metrics/metrics-registry';

export type FilterRefusal = 'too_many_clauses' | 'time_limit';

/** SCIM filters refused for their cost: too many clauses, or stopped by the statement time limit. */
@Injectable()
export class ScimFilterMetrics {
  private readonly refusals: Counter<'reason'>;

  constructor(registry: MetricsRegistry) {
    this.refusals = new Counter({
      name: 'scim_filter_refusals_total',
      help: 'SCIM filters refused for their cost: too_many_clauses (SCIM_FILTER_MAX_CLAUSES) or time_limit (SCIM_FILTER_TIME_LIMIT_MS)',
      labelNames: ['reason'],
      registers: [registry],
    });
    for (const reason of ['too_many_clauses', 'time_limit'] satisfies FilterRefusal[]) {
      this.refusals.inc({ reason }, 0);
    }
  }

  refused(reason: FilterRefusal): void {
    this.refusals.inc({ reason });
  }
}
