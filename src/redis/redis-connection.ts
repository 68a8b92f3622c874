import { Injectable, OnApplicationShutdown } from '@nestjs/common';
import { Redis } from 'ioredis';
import { Settings } from '../config/settings';

/**
 * The service's one Redis connection, present only when REDIS_URL is set.
 * Commands fail fast while disconnected instead of queueing behind an outage.
 */
@Injectable()
export class RedisConnection implements OnApplicationShutdown {
  readonly client: Redis | null;

  constructor(settings: Settings) {
    this.client = settings.redis
      ? new Redis(settings.redis.url, {
          lazyConnect: true,
          enableOfflineQueue: false,
          maxRetriesPerRequest: 1,
          connectTimeout: 2000,
          keyPrefix: `${settings.redis.keyPrefix}:`,
        })
      : null;
    // Errors surface through health checks and callers; without a listener ioredis would crash the process.
    this.client?.on('error', () => undefined);
    void this.client?.connect().catch(() => undefined);
  }

  async onApplicationShutdown(): Promise<void> {
    if (this.client && this.client.status !== 'end') {
      await this.client.quit().catch(() => this.client?.disconnect());
    }
  }
}
