import type { ConnectionOptions } from 'bullmq';
import { RedisSettings } from '../../config/settings';

/** Reconnect quickly after a Redis outage instead of BullMQ's default of up to 20 s between attempts. */
const retryStrategy = (times: number): number => Math.min(200 * times, 2000);

/** BullMQ takes no ioredis keyPrefix; keys are namespaced through its own prefix option instead. */
export function bullmqPrefix(redis: RedisSettings): string {
  return redis.keyPrefix;
}

/**
 * The producer fails fast while Redis is unreachable (no offline queue), so a deactivation is
 * never held up: the purge stays pending and the reconciler dispatches it later.
 */
export function producerConnection(redis: RedisSettings): ConnectionOptions {
  return { url: redis.url, enableOfflineQueue: false, maxRetriesPerRequest: 1, connectTimeout: 2000, retryStrategy };
}

/** Workers block on Redis, which BullMQ requires without a per-request retry limit. */
export function workerConnection(redis: RedisSettings): ConnectionOptions {
  return { url: redis.url, maxRetriesPerRequest: null, connectTimeout: 2000, retryStrategy };
}
