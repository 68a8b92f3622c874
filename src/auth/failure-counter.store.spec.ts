import { describe, expect, it, vi } from 'vitest';
import { MemoryFailureCounterStore } from './failure-counter.store';

describe('MemoryFailureCounterStore', () => {
  it('counts within a window and starts again after it', async () => {
    vi.useFakeTimers();
    try {
      const store = new MemoryFailureCounterStore();
      expect(await store.read('a')).toEqual({ count: 0, resetInSeconds: 0 });
      await store.increment('a', 10_000);
      const second = await store.increment('a', 10_000);
      expect(second).toEqual({ count: 2, resetInSeconds: 10 });
      vi.advanceTimersByTime(4_000);
      expect(await store.read('a')).toEqual({ count: 2, resetInSeconds: 6 });
      vi.advanceTimersByTime(6_001);
      expect((await store.read('a')).count).toBe(0);
      expect((await store.increment('a', 10_000)).count).toBe(1);
    } finally {
      vi.useRealTimers();
    }
  });
});
