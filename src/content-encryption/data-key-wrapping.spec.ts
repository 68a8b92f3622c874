import { createSecretKey, randomBytes, randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { ServerKey } from '../secrets/server-key-ring';
import { ContentTamperedError } from './content-errors';
import { unwrapDataKey, wrapDataKey, WRAPPED_KEY_BYTES } from './data-key-wrapping';

describe('data key wrapping', () => {
  const serverKey = new ServerKey(randomBytes(32));
  const [keyId, userId] = [randomUUID(), randomUUID()];

  it('round-trips a key, never holding it in the clear', () => {
    const raw = randomBytes(32);
    const wrapped = wrapDataKey(serverKey, keyId, userId, raw);
    expect(wrapped).toHaveLength(WRAPPED_KEY_BYTES);
    expect(wrapped.includes(raw)).toBe(false);
    expect(unwrapDataKey(serverKey, keyId, userId, wrapped).equals(raw)).toBe(true);
    expect(wrapDataKey(serverKey, keyId, userId, raw).equals(wrapped)).toBe(false);
  });

  it('binds the wrapped key to its row and its server key', () => {
    const wrapped = wrapDataKey(serverKey, keyId, userId, randomBytes(32));
    expect(() => unwrapDataKey(serverKey, randomUUID(), userId, wrapped)).toThrow(ContentTamperedError);
    expect(() => unwrapDataKey(serverKey, keyId, randomUUID(), wrapped)).toThrow(ContentTamperedError);
    expect(() => unwrapDataKey(new ServerKey(randomBytes(32)), keyId, userId, wrapped)).toThrow(ContentTamperedError);
    const altered = Buffer.from(wrapped);
    altered[20] = (altered[20] ?? 0) ^ 1;
    expect(() => unwrapDataKey(serverKey, keyId, userId, altered)).toThrow(ContentTamperedError);
    expect(() => unwrapDataKey(serverKey, keyId, userId, wrapped.subarray(1))).toThrow(/has 59 bytes/);
  });

  it('lets the raw key be wiped once a KeyObject is made from it (the KeyObject keeps its own copy)', () => {
    const raw = randomBytes(32);
    const copy = Buffer.from(raw);
    const secret = createSecretKey(raw);
    raw.fill(0);
    expect(secret.export().equals(copy)).toBe(true);
  });
});
