import { describe, expect, it } from 'vitest';
import { markReleasable, releaseIfMarked } from './released-buffers';

describe('released buffers', () => {
  it('give back the memory of a marked buffer, which then reads as empty', () => {
    const buffer = markReleasable(Buffer.alloc(64 * 1024, 1));
    releaseIfMarked(buffer);
    expect(buffer.length).toBe(0);
    releaseIfMarked(buffer);
    expect(buffer.length).toBe(0);
  });

  it('leave alone what was not marked, and never mark a slice of a pool or of a larger buffer', () => {
    const unmarked = Buffer.alloc(64 * 1024, 2);
    releaseIfMarked(unmarked);
    expect(unmarked.length).toBe(64 * 1024);

    const whole = Buffer.alloc(128 * 1024, 3);
    const slice = markReleasable(whole.subarray(0, 64 * 1024));
    releaseIfMarked(slice);
    expect(slice.length).toBe(64 * 1024);
    expect(whole.length).toBe(128 * 1024);

    const pooled = markReleasable(Buffer.from('from the shared pool'));
    const neighbour = Buffer.from('another buffer of the pool');
    releaseIfMarked(pooled);
    expect(pooled.toString()).toBe('from the shared pool');
    expect(neighbour.toString()).toBe('another buffer of the pool');
  });
});
