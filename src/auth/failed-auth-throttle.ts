import { createHash } from 'node:crypto';
import { Injectable, Logger } from '@nestjs/common';
import { Settings } from '../config/settings';
import { RedisConnection } from '../redis/redis-connection';
import { FailureCounterStore, MemoryFailureCounterStore, RedisFailureCounterStore } from './failure-counter.store';

// A clean verdict is reused this long, so Okta's steady traffic does not read Redis per request;
// another instance's failures are seen at most this late.
const CLEAR_VERDICT_MS = 1000;
const MAX_CLEAR_ADDRESSES = 10_000;

/**
 * Counts failed authentications per source address and per username (or API key).
 * An address over its limit is refused before its credentials are checked. A username over its
 * limit only turns further *failures* into 429, so the real client's correct password keeps
 * working while someone else guesses at its username.
 */
@Injectable()
export class FailedAuthThrottle {
  private readonly logger = new Logger(FailedAuthThrottle.name);
  private readonly store: FailureCounterStore;
  /** Addresses seen under their limit, until when: successful traffic skips the store meanwhile. */
  private readonly clearAddresses = new Map<string, number>();

  constructor(
    private readonly settings: Settings,
    redis: RedisConnection,
  ) {
    this.store = redis.client ? new RedisFailureCounterStore(redis.client) : new MemoryFailureCounterStore();
  }

  /** Seconds to wait when the address is over its limit, else null. */
  async addressRetryAfter(address: string | undefined): Promise<number | null> {
    const key = this.addressKey(address);
    if ((this.clearAddresses.get(key) ?? 0) > Date.now()) {
      return null;
    }
    const retryAfter = await this.retryAfter(key, this.settings.authThrottle.perAddress);
    if (retryAfter === null) {
      if (this.clearAddresses.size >= MAX_CLEAR_ADDRESSES) {
        this.clearAddresses.clear();
      }
      this.clearAddresses.set(key, Date.now() + CLEAR_VERDICT_MS);
    }
    return retryAfter;
  }

  /**
   * Counts one failure against the address and the claimed username; returns the seconds to
   * wait when this failure took the username past its limit, else null.
   */
  async recordFailure(address: string | undefined, username: string | null): Promise<number | null> {
    const windowMs = this.settings.authThrottle.windowSeconds * 1000;
    this.clearAddresses.delete(this.addressKey(address));
    const usernameCount = await this.safely(async () => {
      await this.store.increment(this.addressKey(address), windowMs);
      return username ? this.store.increment(this.usernameKey(username), windowMs) : null;
    });
    return usernameCount && usernameCount.count > this.settings.authThrottle.perUsername ? usernameCount.resetInSeconds : null;
  }

  private async retryAfter(key: string, limit: number): Promise<number | null> {
    const count = await this.safely(() => this.store.read(key));
    return count && count.count >= limit ? count.resetInSeconds : null;
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
