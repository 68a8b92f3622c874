import { Injectable } from '@nestjs/common';
import { Counter } from 'prom-client';
import { MetricsRegistry } from './metrics-registry';

/** Failed authentications by audience (scim/admin) and reason: the first thing to alert on. */
@Injectable()
export class AuthFailureMetrics {
  private readonly failures: Counter<'audience' | 'reason'>;

  constructor(registry: MetricsRegistry) {
    this.failures = new Counter({
      name: 'auth_failures_total',
      help: 'Failed authentications',
      labelNames: ['audience', 'reason'],
      registers: [registry],
    });
  }

  record(audience: string, reason: string): void {
    this.failures.inc({ audience, reason });
  }
}
