import { describe, expect, it } from 'vitest';
import { assertValidStorageKey } from './storage-key';

describe('assertValidStorageKey', () => {
  it('accepts relative keys made of ids', () => {
    expect(() => assertValidStorageKey('0b9e6f1a-1c2d-4e5f-8a9b-0c1d2e3f4a5b/user-1/file.bin')).not.toThrow();
  });

  it.each(['', '/abs/key', 'a//b', '../escape', 'a/../b', 'a/./b', '.incoming/x', 'a/b\\c', 'a/b c'])('refuses %j', (key) => {
    expect(() => assertValidStorageKey(key)).toThrow(/invalid storage key/);
  });
});
