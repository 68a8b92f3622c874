import type { Redis } from 'ioredis';

export type FailureCount = { count: number; resetInSeconds: number };

/** Fixed-window failure counters; in Redis when configured, so every instance sees the same counts. */
export interface FailureCounterStore {
  increment(key: string, windowMs: number): Promise<FailureCount>;
  read(key: string): Promise<FailureCount>;
}

const MAX_MEMORY_KEYS = 100_000;

export class MemoryFailureCounterStore implements FailureCounterStore {
  private readonly windows = new Map<string, { count: number; resetAt: number }>();

  increment(key: string, windowMs: number): Promise<FailureCount> {
    const now = Date.now();
    let window = this.windows.get(key);
    if (!window || window.resetAt <= now) {
      this.evictExpired(now);
      window = { count: 0, resetAt: now + windowMs };
      this.windows.set(key, window);
    }
    window.count += 1;
    return Promise.resolve(toCount(window, now));
  }

  read(key: string): Promise<FailureCount> {
    const now = Date.now();
    const window = this.windows.get(key);
    return Promise.resolve(window && window.resetAt > now ? toCount(window, now) : { count: 0, resetInSeconds: 0 });
  }

  private evictExpired(now: number): void {
    if (this.windows.size < MAX_MEMORY_KEYS) {
      return;
    }
    for (const [key, window] of this.windows) {
      if (window.resetAt <= now) {
        this.windows.delete(key);
      }
    }
    // Under a flood of distinct keys, forgetting counts beats unbounded memory.
    if (this.windows.size >= MAX_MEMORY_KEYS) {
      this.windows.clear();
    }
  }
}

function toCount(window: { count: number; resetAt: number }, now: number): FailureCount {
  return { count: window.count, resetInSeconds: Math.max(1, Math.ceil((window.resetAt - now) / 1000)) };
}

export class RedisFailureCounterStore implements FailureCounterStore {
  constructor(private readonly redis: Redis) {}

  async increment(key: string, windowMs: number): Promise<FailureCount> {
    const results = await this.redis.multi().set(key, '0', 'PX', windowMs, 'NX').incr(key).pttl(key).exec();
    return fromRedis(results?.[1]?.[1], results?.[2]?.[1]);
  }

  async read(key: string): Promise<FailureCount> {
    const results = await this.redis.multi().get(key).pttl(key).exec();
    return fromRedis(results?.[0]?.[1], results?.[1]?.[1]);
  }
}

function fromRedis(count: unknown, ttlMs: unknown): FailureCount {
  const ttl = Number(ttlMs);
  return { count: Number(count ?? 0) || 0, resetInSeconds: ttl > 0 ? Math.ceil(ttl / 1000) : 0 };
}
