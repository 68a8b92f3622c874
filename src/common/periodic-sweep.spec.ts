import { Logger } from '@nestjs/common';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { PeriodicSweep } from './periodic-sweep';

describe('PeriodicSweep', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('sweeps on every tick, skips ticks while a sweep runs, and stop() waits for the sweep in flight', async () => {
    let release: () => void = () => undefined;
    const sweep = vi.fn(() => new Promise<void>((resolve) => (release = resolve)));
    const periodic = new PeriodicSweep('test sweep', sweep, new Logger('test'));
    periodic.start(1000);
    await vi.advanceTimersByTimeAsync(3500);
    expect(sweep).toHaveBeenCalledTimes(1);
    let stopped = false;
    const stopping = periodic.stop().then(() => (stopped = true));
    await vi.advanceTimersByTimeAsync(0);
    expect(stopped).toBe(false);
    release();
    await stopping;
    expect(stopped).toBe(true);
    await vi.advanceTimersByTimeAsync(5000);
    expect(sweep).toHaveBeenCalledTimes(1);
  });

  it('logs a failed sweep as a warning and tries again on the next tick', async () => {
    const logger = new Logger('test');
    const warn = vi.spyOn(logger, 'warn').mockImplementation(() => undefined);
    const sweep = vi.fn().mockRejectedValueOnce(new Error('database away')).mockResolvedValue(0);
    const periodic = new PeriodicSweep('test sweep', sweep, logger);
    periodic.start(1000);
    await vi.advanceTimersByTimeAsync(2000);
    expect(warn).toHaveBeenCalledWith('test sweep failed: Error: database away');
    expect(sweep).toHaveBeenCalledTimes(2);
    await periodic.stop();
  });

  it('with atStart, sweeps at once, then on every tick', async () => {
    const sweep = vi.fn().mockResolvedValue(0);
    const periodic = new PeriodicSweep('test sweep', sweep, new Logger('test'));
    periodic.start(1000, { atStart: true });
    expect(sweep).toHaveBeenCalledTimes(1);
    await vi.advanceTimersByTimeAsync(1000);
    expect(sweep).toHaveBeenCalledTimes(2);
    await periodic.stop();
  });
});
