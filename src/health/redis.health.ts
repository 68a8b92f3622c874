import { Injectable } from '@nestjs/common';
import { HealthIndicatorResult, HealthIndicatorService } from '@nestjs/terminus';
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
      await withTimeout(client.ping(), this.settings.healthCheckTimeoutMs);
      return indicator.up();
    } catch (error) {
      return indicator.down({ message: error instanceof Error ? error.message : 'unreachable' });
    }
  }
}
