import { Module } from '@nestjs/common';
import { loadOnDemand } from '../common/load-on-demand';
import { Settings } from '../config/settings';
import { RedisConnection } from './redis-connection';

// ioredis is imported only when REDIS_URL is set (docs/performance.md).
const loadRedisClient = loadOnDemand('The Redis client (ioredis)', () => import('./redis-client.js'));

@Module({
  providers: [
    {
      provide: RedisConnection,
      inject: [Settings],
      useFactory: async (settings: Settings): Promise<RedisConnection> => {
        if (!settings.redis) {
          return new RedisConnection(null);
        }
        const { connectRedis } = await loadRedisClient();
        return new RedisConnection(connectRedis(settings.redis));
      },
    },
  ],
  exports: [RedisConnection],
})
export class RedisModule {}
