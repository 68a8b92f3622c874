import { createHash } from 'node:crypto';
import { Injectable, Logger } from '@nestjs/common';
import { Settings } from '../config/settings';
import { RedisConnection } from '../redis/redis-connection';
import { FailureCounterStore, MemoryFailureCounterStore, RedisFailureCounterStore } from './failure-counter.store';

/**
 * Counts failed authentications per source address and per username (or API key), and is
 * consulted only once a request has failed: a correct credential passes whatever either count
 * says, so someone guessing from Okta's address (or behind the same proxy) cannot lock Okta out.
 * Past a limit, failures are answered 429, and from an address over its limit cheaply: no audit
 * row, no further counting.
 */
@Injectable()
export class FailedAuthThrottle {
  private readonly logger = new Logger(FailedAuthThrottle.name);
  private readonly store: FailureCounterStore;

  constructor(
    private readonly settings: Settings,
    redis: RedisConnection,
  ) {
    this.store = redis.client ? new RedisFailureCounterStore(redis.client) : new MemoryFailureCounterStore();
  }

  /** Seconds to wait when the address is over its limit, else null. */
  async addressRetryAfter(address: string | undefined): Promise<number | null> {
    const count = await this.safely(() => this.store.read(this.addressKey(address)));
    return count && count.count >= this.settings.authThrottle.perAddress ? count.resetInSeconds : null;
  }

  /**
   * Counts one failure against the address and the claimed username; returns the seconds to
   * wait when this failure took the username past its limit, else null.
   */
  async recordFailure(address: string | undefined, username: string | null): Promise<number | null> {
    const windowMs = this.settings.authThrottle.windowSeconds * 1000;
    const usernameCount = await this.safely(async () => {
      await this.store.increment(this.addressKey(address), windowMs);
      return username ? this.store.increment(this.usernameKey(username), windowMs) : null;
    });
    return usernameCount && usernameCount.count > this.settings.authThrottle.perUsername ? usernameCount.resetInSeconds : null;
  }

  /** Throttling fails open: a Redis outage must not lock Okta out. */
  private async safely<T>(operation: () => Promise<T>): Promise<T | null> {
    try {
      return await operation();
    } catch (error) {
      this.logger.warn(`failed-auth throttle unavailable: ${String(error)}`);
      return null;
    }
  }

  private addressKey(address: string | undefined): string {
    return `auth-fail:addr:${address ?? 'unknown'}`;
  }

  private usernameKey(username: string): string {
    // Hashed: attacker-chosen strings never become raw Redis keys of unbounded length.
    return `auth-fail:user:${createHash('sha256').update(username).digest('base64url')}`;
  }
}
