import { OnApplicationShutdown } from '@nestjs/common';
import type { Redis } from 'ioredis';

/**
 * The service's one Redis connection, present only when REDIS_URL is set (redis.module.ts makes
 * it). Commands fail fast while disconnected instead of queueing behind an outage.
 */
export class RedisConnection implements OnApplicationShutdown {
  constructor(readonly client: Redis | null) {}

  async onApplicationShutdown(): Promise<void> {
    if (this.client && this.client.status !== 'end') {
      await this.client.quit().catch(() => this.client?.disconnect());
    }
  }
}
