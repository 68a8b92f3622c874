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

type Waiter = { readonly admit: (release: Release) => void; readonly timer: NodeJS.Timeout };
type Lane = { running: number; readonly waiting: Waiter[] };

/**
 * At most SCIM_CONCURRENT_REQUESTS_PER_CREDENTIAL requests of one SCIM credential run at once in
 * this process; the next ones wait in a first-come, first-served line of at most
 * SCIM_QUEUED_REQUESTS_PER_CREDENTIAL, each for at most SCIM_QUEUE_TIMEOUT_MS, and are refused
 * with 429 beyond that. So one client, however many connections it opens, holds a bounded share
 * of the database pool (MySQL) or of each event-loop turn (SQLite, where queries block the
 * loop), and other credentials keep theirs.
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
    gauge('scim_credential_requests_waiting', 'SCIM requests waiting for their credential’s turn, all credentials together', () => this.waiting);
  }

  /** Resolves once the credential's request may run, with its Release; rejects with CredentialBusyException. */
  acquire(credentialId: string): Promise<Release> {
    let lane = this.lanes.get(credentialId);
    if (!lane) {
      lane = { running: 0, waiting: [] };
      this.lanes.set(credentialId, lane);
    }
    if (lane.running < this.limits.concurrentPerCredential) {
      lane.running += 1;
      this.running += 1;
      const release = this.releaseOf(credentialId, lane);
      // Admitted after I/O, like a turn handed on (see releaseOf): on SQLite a request runs to its
      // end without yielding, so only this makes the requests read in one event-loop turn take
      // turns per credential instead of running in arrival order, one client's burst first.
      return new Promise((resolve) => setImmediate(resolve, release));
    }
    if (lane.waiting.length >= this.limits.queuedPerCredential || this.limits.queueTimeoutMs === 0) {
      return Promise.reject(this.refuse('queue_full'));
    }
    const queued = lane;
    return new Promise<Release>((resolve, reject) => {
      const waiter: Waiter = {
        admit: resolve,
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

  private releaseOf(credentialId: string, lane: Lane): Release {
    let released = false;
    return () => {
      if (released) {
        return;
      }
      released = true;
      const next = lane.waiting.shift();
      if (!next) {
        lane.running -= 1;
        this.running -= 1;
        if (lane.running === 0) {
          this.lanes.delete(credentialId);
        }
        return;
      }
      // The turn passes straight to the next in line. After I/O, not at once: on SQLite a queued
      // request's query runs synchronously, and a chain of them must not keep other clients'
      // requests (already read from their sockets) waiting behind the whole line.
      clearTimeout(next.timer);
      this.waiting -= 1;
      setImmediate(() => next.admit(this.releaseOf(credentialId, lane)));
    };
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
