import { Redis } from 'ioredis';
import { RedisSettings } from '../config/settings';

/** Connects in the background: a Redis that is down at start-up is reported by health checks and callers, not fatal. */
export function connectRedis(settings: RedisSettings): Redis {
  const client = new Redis(settings.url, {
    lazyConnect: true,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    connectTimeout: 2000,
    keyPrefix: `${settings.keyPrefix}:`,
  });
  // Errors surface through health checks and callers; without a listener ioredis would crash the process.
  client.on('error', () => undefined);
  void client.connect().catch(() => undefined);
  return client;
}
