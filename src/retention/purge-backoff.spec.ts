import { describe, expect, it } from 'vitest';
import { nextRetryDelayMs } from './purge-backoff';

describe('nextRetryDelayMs', () => {
  it('doubles from the base with each failed attempt', () => {
    expect([1, 2, 3, 4].map((attempts) => nextRetryDelayMs(attempts, 1000, 10))).toEqual([1000, 2000, 4000, 8000]);
  });

  it('stops retrying automatically once the attempts are used up', () => {
    expect(nextRetryDelayMs(3, 1000, 3)).toBeNull();
    expect(nextRetryDelayMs(2, 1000, 3)).toBe(2000);
  });

  it('never waits more than a day', () => {
    expect(nextRetryDelayMs(40, 60_000, 100)).toBe(24 * 60 * 60 * 1000);
  });
});
