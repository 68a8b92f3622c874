import { describe, expect, it } from 'vitest';
import { PurgeCheckpointCadence } from './purge-checkpoint-cadence';

describe('PurgeCheckpointCadence', () => {
  it('is due once enough items have gone since the last checkpoint', () => {
    const cadence = new PurgeCheckpointCadence(10, 60_000, () => 0);
    expect(cadence.pending).toBe(false);
    expect(cadence.deleted(6)).toBe(false);
    expect(cadence.pending).toBe(true);
    expect(cadence.deleted(4)).toBe(true);
    cadence.checkpointed();
    expect(cadence.pending).toBe(false);
    expect(cadence.deleted(9)).toBe(false);
  });

  it('is due once enough time has passed with items deleted, never for none', () => {
    let now = 1000;
    const cadence = new PurgeCheckpointCadence(10, 500, () => now);
    now += 600;
    expect(cadence.deleted(0)).toBe(false);
    expect(cadence.deleted(1)).toBe(true);
    cadence.checkpointed();
    now += 400;
    expect(cadence.deleted(1)).toBe(false);
    now += 100;
    expect(cadence.deleted(0)).toBe(true);
  });
});
