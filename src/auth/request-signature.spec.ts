import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { isLowercaseHexSha256, parseSignatureTimestamp, signRequest } from './request-signature';

describe('signRequest', () => {
  it('is the lowercase hex HMAC-SHA256 of key + pathWithQuery + timestamp + rawBody under the secret', () => {
    const expected = createHmac('sha256', 'secret')
      .update('ak_1/admin/v1/api-keys?limit=102026-11-28T10:00:00Z{"description":"x"}')
      .digest('hex');
    expect(signRequest('secret', 'ak_1', '/admin/v1/api-keys?limit=10', '2026-11-28T10:00:00Z', '{"description":"x"}')).toBe(expected);
    expect(signRequest('secret', 'ak_1', '/p', 't', Buffer.from('body'))).toBe(signRequest('secret', 'ak_1', '/p', 't', 'body'));
  });
});

describe('parseSignatureTimestamp', () => {
  it('accepts ISO-8601 UTC with optional fractions only', () => {
    expect(parseSignatureTimestamp('2026-11-28T10:00:00Z')).toBe(Date.UTC(2026, 10, 28, 10));
    expect(parseSignatureTimestamp('2026-11-28T10:00:00.123Z')).toBe(Date.UTC(2026, 10, 28, 10, 0, 0, 123));
    for (const bad of ['2026-11-28T10:00:00+01:00', '2026-11-28 10:00:00Z', '1764324000', '2026-13-45T99:00:00Z', '']) {
      expect(parseSignatureTimestamp(bad), bad).toBeNull();
    }
  });
});

describe('isLowercaseHexSha256', () => {
  it('accepts exactly 64 lowercase hex characters', () => {
    expect(isLowercaseHexSha256('a'.repeat(64))).toBe(true);
    expect(isLowercaseHexSha256('A'.repeat(64))).toBe(false);
    expect(isLowercaseHexSha256('a'.repeat(63))).toBe(false);
  });
});
