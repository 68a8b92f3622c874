import { Injectable, Logger } from '@nestjs/common';
import { Gauge, Histogram } from 'prom-client';
import { MetricsRegistry } from '../../metrics/metrics-registry';
import { HOLD_REASONS, PURGE_STATES } from '../purge.entity';
import { PurgeRepository } from '../purge.repository';

/** Queue metrics: purges by state (read from the database at scrape time, so any process reports the same) and durations. */
@Injectable()
export class PurgeMetrics {
  private readonly logger = new Logger(PurgeMetrics.name);
  private readonly duration: Histogram;

  constructor(registry: MetricsRegistry, purges: PurgeRepository) {
    const byState: Gauge<'state'> = new Gauge({
      name: 'scim_purges',
      help:
        'Purges by state: pending (queued), running, failed (awaiting retry or an administrator), completed, merged (taken over by a later purge of the user), ' +
        'held, scheduled (grace period), cancelled (user reactivated while it waited)',
      labelNames: ['state'],
      registers: [registry],
      collect: async () => {
        try {
          const counts = await purges.countByState();
          for (const state of PURGE_STATES) {
            byState.set({ state }, counts[state]);
          }
        } catch (error) {
          this.logger.warn({ reason: error instanceof Error ? error.message : String(error) }, 'could not count purges for metrics');
        }
      },
    });
    const held: Gauge<'reason'> = new Gauge({
      name: 'scim_purges_held',
      help: 'Purges held now, by reason: mass_deactivation (the breaker tripped; an administrator releases them) or legal_hold',
      labelNames: ['reason'],
      registers: [registry],
      collect: async () => {
        try {
          const counts = await purges.countHeldByReason();
          for (const reason of HOLD_REASONS) {
            held.set({ reason }, counts[reason]);
          }
        } catch (error) {
          this.logger.warn({ reason: error instanceof Error ? error.message : String(error) }, 'could not count held purges for metrics');
        }
      },
    });
    this.duration = new Histogram({
      name: 'scim_purge_duration_seconds',
      help: 'Time from a purge first starting to its completion, retries included',
      buckets: [0.1, 0.5, 1, 5, 15, 60, 300, 900, 3600, 14400],
      registers: [registry],
    });
  }

  observeCompleted(seconds: number): void {
    this.duration.observe(Math.max(0, seconds));
  }
}
