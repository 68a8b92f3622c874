import { describe, expect, it } from 'vitest';
import { parsePurgeJobData, purgeJobId } from './purge-job';

const ID = '0b9e6f1a-1c2d-4e5f-8a9b-0c1d2e3f4a5b';

describe('purge jobs', () => {
  it('have one id per purge and attempt, without the colon BullMQ reserves', () => {
    expect(purgeJobId({ purgeId: ID, attempt: 0 })).toBe(`purge-${ID}-0`);
    expect(purgeJobId({ purgeId: ID, attempt: 0 })).toBe(purgeJobId({ purgeId: ID, attempt: 0 }));
    expect(purgeJobId({ purgeId: ID, attempt: 1 })).not.toBe(purgeJobId({ purgeId: ID, attempt: 0 }));
    expect(purgeJobId({ purgeId: ID, attempt: 3 })).not.toContain(':');
  });

  it('accept only a payload with a purge id', () => {
    expect(parsePurgeJobData({ purgeId: ID, extra: true })).toEqual({ purgeId: ID });
    for (const bad of [null, undefined, 'x', {}, { purgeId: 42 }, { purgeId: 'not-a-uuid' }, [ID]]) {
      expect(() => parsePurgeJobData(bad)).toThrow('invalid purge job payload');
    }
  });
});
