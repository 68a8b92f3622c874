import { describe, expect, it } from 'vitest';
import * as current from '../../users/caseless-text';
import { foldedOrNull, normalizeUserName, USER_NAME_KEY_MAX_LENGTH } from './caseless-text';

const SAMPLES = [
  'alice@example.com',
  '  Bob@Example.COM\t',
  'straße',
  'ΟΔΟΣ',
  'İvan',
  'alicé',
  'ＡＢＣ',
  'zero\u200bwidth',
  'soft\u00adhyphen',
  'e\u0301',
  '\ufe0f',
  '',
];

describe("the migrations' copy of the caseless comparison rule", () => {
  it("still computes what the users' rule computes: if this fails, the rule changed and stored keys need a new migration", () => {
    for (const sample of SAMPLES) {
      expect(normalizeUserName(sample), sample).toBe(current.normalizeUserName(sample));
      expect(foldedOrNull(sample), sample).toBe(current.foldedOrNull(sample));
    }
    expect(foldedOrNull(null)).toBeNull();
    expect(USER_NAME_KEY_MAX_LENGTH).toBe(current.USER_NAME_KEY_MAX_LENGTH);
  });
});
