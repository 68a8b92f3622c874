import { Injectable } from '@nestjs/common';
import { Counter } from 'prom-client';
import { MetricsRegistry } from '../metrics/metrics-registry';
import { SSO_FAILURE_REASONS, SsoFailureReason } from './sso-failure';

/** Sign-ins by flow and refusals by reason: a sudden rise of one reason is what to alert on. */
@Injectable()
export class SsoMetrics {
  private readonly logins: Counter<'flow'>;
  private readonly failures: Counter<'reason'>;

  constructor(registry: MetricsRegistry) {
    this.logins = new Counter({
      name: 'sso_logins_total',
      help: 'Successful single sign-on sign-ins',
      labelNames: ['flow'],
      registers: [registry],
    });
    this.failures = new Counter({
      name: 'sso_login_failures_total',
      help: 'Refused single sign-on sign-ins, by reason',
      labelNames: ['reason'],
      registers: [registry],
    });
    // Every series exists from the start, so a rate over a reason that never occurred reads 0, not nothing.
    for (const flow of ['sp_initiated', 'idp_initiated']) {
      this.logins.inc({ flow }, 0);
    }
    for (const reason of SSO_FAILURE_REASONS) {
      this.failures.inc({ reason }, 0);
    }
  }

  login(flow: 'sp_initiated' | 'idp_initiated'): void {
    this.logins.inc({ flow });
  }

  failure(reason: SsoFailureReason): void {
    this.failures.inc({ reason });
  }
}
