import { Injectable, Logger, OnApplicationBootstrap, OnModuleDestroy, ServiceUnavailableException } from '@nestjs/common';
import { PeriodicSweep } from '../common/periodic-sweep';
import { RedisConnection } from '../redis/redis-connection';
import { RequestNonceRepository } from './request-nonce.repository';
import { sha256Hex, SIGNATURE_WINDOW_MS } from './request-signature';

// Instances' clocks differ a little; a nonce is kept this much longer than its request stays acceptable.
const CLOCK_SKEW_MARGIN_MS = 60_000;
const SWEEP_INTERVAL_MS = 60_000;
const SWEEP_BATCH = 500;
const RETRY_AFTER_SECONDS = 5;

/** 503: without its nonce store the service cannot tell a replay from a new request, so it refuses both. */
export class ReplayCheckUnavailableException extends ServiceUnavailableException {
  readonly retryAfterSeconds = RETRY_AFTER_SECONDS;

  constructor() {
    super(`Signed requests cannot be checked for replay right now. Retry in ${RETRY_AFTER_SECONDS} seconds.`);
  }
}

/**
 * Remembers each (API key, nonce) of an authentic admin request until the request's timestamp has
 * left the signature window, so each is accepted once, in every process: Redis `SET NX` with an
 * expiry when REDIS_URL is set, else the request_nonces table (its primary key), swept here.
 */
@Injectable()
export class RequestNonces implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger(RequestNonces.name);
  private readonly sweeps = new PeriodicSweep('request nonce sweep', () => this.sweep(), this.logger);

  constructor(
    private readonly redis: RedisConnection,
    private readonly repository: RequestNonceRepository,
  ) {}

  onApplicationBootstrap(): void {
    if (this.redis.client) {
      return;
    }
    this.sweeps.start(SWEEP_INTERVAL_MS);
  }

  async onModuleDestroy(): Promise<void> {
    await this.sweeps.stop();
  }

  /** True the first time this key presents this nonce, false on every later use. */
  async consume(apiKeyId: string, nonce: string, signedAt: number, now = Date.now()): Promise<boolean> {
    const expiresAt = signedAt + SIGNATURE_WINDOW_MS + CLOCK_SKEW_MARGIN_MS;
    const nonceHash = sha256Hex(nonce);
    const { client } = this.redis;
    if (!client) {
      return this.repository.insertIfAbsent({ apiKeyId, nonceHash, expiresAt: new Date(expiresAt) });
    }
    try {
      const stored = await client.set(`admin-nonce:${apiKeyId}:${nonceHash}`, '1', 'PX', Math.max(1, expiresAt - now), 'NX');
      return stored === 'OK';
    } catch (error) {
      this.logger.error(`nonce store unavailable: ${String(error)}`);
      throw new ReplayCheckUnavailableException();
    }
  }

  /** Deletes every expired nonce row, a bounded batch per statement; returns how many. */
  async sweep(now = new Date(), batch = SWEEP_BATCH): Promise<number> {
    let total = 0;
    for (;;) {
      const deleted = await this.repository.deleteExpired(now, batch);
      total += deleted;
      if (deleted < batch) {
        return total;
      }
    }
  }
}
