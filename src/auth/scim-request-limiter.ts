import { HttpException, HttpStatus, Injectable } from '@nestjs/common';
import { Counter, Gauge } from 'prom-client';
import { ScimLimitSettings, Settings } from '../config/settings';
import { MetricsRegistry } from '../metrics/metrics-registry';

/** Ends a request's turn; calling it again does nothing. */
export type Release = () => void;
export type BusyReason = 'queue_full' | 'wait_timeout';

// Short: a refused request did no work, and Okta doubles its wait on every further 429.
const RETRY_AFTER_SECONDS = 1;

/** 429: the credential already has as many requests running and waiting as it may. */
export class CredentialBusyException extends HttpException {
  readonly retryAfterSeconds = RETRY_AFTER_SECONDS;

  constructor(
    readonly reason: BusyReason,
    detail: string,
  ) {
    super(detail, HttpStatus.TOO_MANY_REQUESTS);
  }
}

/** `timer`: the line's timeout; none for a request sent back to the head of the line by a rest. */
type Waiter = { readonly admit: (release: Release) => void; readonly costSetByClient: boolean; readonly timer?: NodeJS.Timeout };
type Lane = { running: number; readonly waiting: Waiter[]; restingUntil: number; wake?: NodeJS.Timeout };

/** A turn held longer than this, where requests block the process (SQLite), is followed by a rest as long. */
const SLOW_TURN_MS = 20;

export type TurnOptions = {
  /**
   * What the request costs depends on what the client asks (a list's filter and paging), not on
   * the service: such a turn, when slow, is followed by a rest. Other requests do bounded work,
   * and a turn of theirs is slow only when the process is busy with others.
   */
  readonly costSetByClient?: boolean;
};

/**
 * At most SCIM_CONCURRENT_REQUESTS_PER_CREDENTIAL requests of one SCIM credential run at once in
 * this process; the next ones wait in a first-come, first-served line of at most
 * SCIM_QUEUED_REQUESTS_PER_CREDENTIAL, each for at most SCIM_QUEUE_TIMEOUT_MS, and are refused
 * with 429 beyond that. So one client, however many connections it opens, holds a bounded share
 * of the database pool (MySQL) or of each event-loop turn (SQLite, where queries block the
 * loop), and other credentials keep theirs.
 *
 * Where a request's work blocks the whole process (SQLite), a turn of a request whose cost the
 * client sets (TurnOptions) held longer than SLOW_TURN_MS is also followed by a rest as long
 * before the credential's next request starts: a client sending costly filters back to back gets
 * at most half of the process's time, the others the rest. Okta's indexed lookups stay far below
 * SLOW_TURN_MS and never rest.
 */
@Injectable()
export class ScimRequestLimiter {
  private readonly lanes = new Map<string, Lane>();
  private readonly limits: ScimLimitSettings;
  private running = 0;
  private waiting = 0;
  private readonly refusals: Counter<'reason'>;

  constructor(settings: Settings, registry: MetricsRegistry) {
    this.limits = settings.scimLimits;
    this.refusals = new Counter({
      name: 'scim_credential_requests_throttled_total',
      help: 'SCIM requests refused with 429 because their credential had too many in flight: queue_full or wait_timeout',
      labelNames: ['reason'],
      registers: [registry],
    });
    for (const reason of ['queue_full', 'wait_timeout'] satisfies BusyReason[]) {
      this.refusals.inc({ reason }, 0);
    }
    const gauge = (name: string, help: string, read: () => number): void => {
      new Gauge({
        name,
        help,
        registers: [registry],
        collect() {
          this.set(read());
        },
      });
    };
    gauge('scim_credential_requests_running', 'SCIM requests being processed, all credentials together', () => this.running);
    gauge(
      'scim_credential_requests_waiting',
      'SCIM requests waiting for their credential’s turn, all credentials together',
      () => this.waiting,
    );
  }

  /** Resolves once the credential's request may run, with its Release; rejects with CredentialBusyException. */
  acquire(credentialId: string, { costSetByClient = false }: TurnOptions = {}): Promise<Release> {
    let lane = this.lanes.get(credentialId);
    if (!lane) {
      lane = { running: 0, waiting: [], restingUntil: 0 };
      this.lanes.set(credentialId, lane);
    }
    if (lane.running < this.limits.concurrentPerCredential && lane.waiting.length === 0 && !this.resting(lane)) {
      return new Promise((resolve) => this.start(credentialId, lane, { admit: resolve, costSetByClient }));
    }
    if (lane.waiting.length >= this.limits.queuedPerCredential || this.limits.queueTimeoutMs === 0) {
      return Promise.reject(this.refuse('queue_full'));
    }
    const queued = lane;
    return new Promise<Release>((resolve, reject) => {
      const waiter: Waiter = {
        admit: resolve,
        costSetByClient,
        timer: setTimeout(() => {
          queued.waiting.splice(queued.waiting.indexOf(waiter), 1);
          this.waiting -= 1;
          reject(this.refuse('wait_timeout'));
        }, this.limits.queueTimeoutMs),
      };
      queued.waiting.push(waiter);
      this.waiting += 1;
    });
  }

  /**
   * Takes a turn now and starts the request after I/O, not at once: on SQLite a request runs to
   * its end without yielding, so only this makes the requests read in one event-loop turn take
   * turns per credential instead of running in arrival order, one client's burst first; and a
   * line of one credential's requests cannot run back to back ahead of others already read.
   */
  private start(credentialId: string, lane: Lane, { admit, costSetByClient }: Waiter): void {
    lane.running += 1;
    this.running += 1;
    setImmediate(() => {
      // A turn taken in the same event-loop turn as a slow one that just ended waits out its rest.
      if (this.resting(lane)) {
        lane.running -= 1;
        this.running -= 1;
        lane.waiting.unshift({ admit, costSetByClient });
        this.waiting += 1;
        this.admitNext(credentialId, lane);
        return;
      }
      admit(this.releaseOf(credentialId, lane, costSetByClient));
    });
  }

  private releaseOf(credentialId: string, lane: Lane, costSetByClient: boolean): Release {
    const startedAt = performance.now();
    let released = false;
    return () => {
      if (released) {
        return;
      }
      released = true;
      lane.running -= 1;
      this.running -= 1;
      const heldMs = performance.now() - startedAt;
      if (costSetByClient && this.limits.restAfterSlowTurns && heldMs > SLOW_TURN_MS) {
        lane.restingUntil = Math.max(lane.restingUntil, performance.now() + heldMs);
      }
      this.admitNext(credentialId, lane);
    };
  }

  private admitNext(credentialId: string, lane: Lane): void {
    if (this.resting(lane)) {
      lane.wake ??= setTimeout(() => {
        lane.wake = undefined;
        this.admitNext(credentialId, lane);
      }, lane.restingUntil - performance.now()).unref();
      return;
    }
    while (lane.running < this.limits.concurrentPerCredential && lane.waiting.length > 0) {
      const next = lane.waiting.shift() as Waiter;
      clearTimeout(next.timer);
      this.waiting -= 1;
      this.start(credentialId, lane, next);
    }
    if (lane.running === 0 && lane.waiting.length === 0) {
      this.lanes.delete(credentialId);
    }
  }

  // performance.now(), not the wall clock: a clock set forward must not become a rest.
  private resting(lane: Lane): boolean {
    return lane.restingUntil > performance.now();
  }

  private refuse(reason: BusyReason): CredentialBusyException {
    this.refusals.inc({ reason });
    const { concurrentPerCredential, queuedPerCredential, queueTimeoutMs } = this.limits;
    const policy = `this service processes ${concurrentPerCredential} requests of one SCIM credential at a time and lets up to ${queuedPerCredential} more wait, each for at most ${queueTimeoutMs} ms`;
    return new CredentialBusyException(
      reason,
      reason === 'queue_full'
        ? `Too many concurrent requests with this SCIM credential: ${policy}. Retry after ${RETRY_AFTER_SECONDS} second.`
        : `This request waited too long behind earlier requests of the same SCIM credential: ${policy}. Retry after ${RETRY_AFTER_SECONDS} second.`,
    );
  }
}
