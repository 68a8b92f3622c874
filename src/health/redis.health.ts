import { once } from 'node:events';
import { Injectable } from '@nestjs/common';
import { HealthIndicatorResult, HealthIndicatorService } from '@nestjs/terminus';
import type { Redis } from 'ioredis';
import { Settings } from '../config/settings';
import { RedisConnection } from '../redis/redis-connection';
import { withTimeout } from './with-timeout';

@Injectable()
export class RedisHealthIndicator {
  constructor(
    private readonly health: HealthIndicatorService,
    private readonly redis: RedisConnection,
    private readonly settings: Settings,
  ) {}

  async isReachable(key = 'redis'): Promise<HealthIndicatorResult> {
    const indicator = this.health.check(key);
    const client = this.redis.client;
    if (!client) {
      return indicator.up({ message: 'not configured' });
    }
    try {
      await withTimeout(this.ping(client), this.settings.healthCheckTimeoutMs);
      return indicator.up();
    } catch (error) {
      return indicator.down({ message: error instanceof Error ? error.message : 'unreachable' });
    }
  }

  /**
   * A connection still being opened (the first one, at start-up) is waited for, within the
   * check's time limit: the client refuses commands until it is ready, and that refusal is not
   * an answer from Redis. One that was lost fails at once, as the ping does.
   */
  private async ping(client: Redis): Promise<void> {
    if (client.status === 'connecting' || client.status === 'connect') {
      await once(client, 'ready', { signal: AbortSignal.timeout(this.settings.healthCheckTimeoutMs) });
    }
    await client.ping();
  }
}
