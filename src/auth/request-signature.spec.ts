import { describe, expect, it } from 'vitest';
import {
  isLowercaseHexSha256,
  isValidNonce,
  newNonce,
  parseSignatureTimestamp,
  sha256Hex,
  SIGNATURE_HEADERS,
  signatureHeaders,
  signRequest,
  stringToSign,
} from './request-signature';

// Known answers computed outside this code base, with coreutils and OpenSSL:
//   printf '%s\n%s\n%s\n%s\n%s\n%s' ak_1 POST '/admin/v1/api-keys?limit=10' 2026-11-28T10:00:00Z n0nce-0123456789_ab \
//     "$(printf '%s' '{"description":"x"}' | sha256sum | cut -d' ' -f1)" | openssl dgst -sha256 -hmac secret -hex
const POST_BODY_SHA256 = 'b4ce80166bd657658386b68af3498254ba962db6fb40de906667ecde15c71d34';
const POST_SIGNATURE = '29e20bff6411fd1ce9638598325426def17e3170be504ca7a34031dabf0ed2ca';
const EMPTY_SHA256 = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';
// The same for GET /admin/v1/organization, nonce AAAAAAAAAAAAAAAA, no body, secret 'sécret' (UTF-8).
const GET_SIGNATURE = '7548881a427e8c787022bae8a77746aa0bc2e55b9cdd4eab609ebd5e11889585';

const post = {
  key: 'ak_1',
  method: 'POST',
  pathWithQuery: '/admin/v1/api-keys?limit=10',
  timestamp: '2026-11-28T10:00:00Z',
  nonce: 'n0nce-0123456789_ab',
  bodySha256: POST_BODY_SHA256,
};

describe('signRequest (scheme v2)', () => {
  it('matches independently computed HMAC-SHA256 values', () => {
    expect(sha256Hex('{"description":"x"}')).toBe(POST_BODY_SHA256);
    expect(sha256Hex('')).toBe(EMPTY_SHA256);
    expect(signRequest('secret', post)).toBe(POST_SIGNATURE);
    const get = {
      key: 'ak_1',
      method: 'GET',
      pathWithQuery: '/admin/v1/organization',
      timestamp: '2026-11-28T10:00:00Z',
      nonce: 'A'.repeat(16),
      bodySha256: EMPTY_SHA256,
    };
    expect(signRequest('sécret', get)).toBe(GET_SIGNATURE);
  });

  it('signs key, METHOD, path, timestamp, nonce and body digest, one per line, the method upper-cased', () => {
    expect(stringToSign(post)).toBe(
      `ak_1\nPOST\n/admin/v1/api-keys?limit=10\n2026-11-28T10:00:00Z\nn0nce-0123456789_ab\n${POST_BODY_SHA256}`,
    );
    expect(signRequest('secret', { ...post, method: 'post' })).toBe(POST_SIGNATURE);
  });

  it('changes with every field it covers', () => {
    const variants = [
      { method: 'DELETE' },
      { method: 'GET' },
      { pathWithQuery: '/admin/v1/api-keys?limit=11' },
      { timestamp: '2026-11-28T10:00:01Z' },
      { nonce: 'n0nce-0123456789_ac' },
      { bodySha256: EMPTY_SHA256 },
      { key: 'ak_2' },
    ];
    for (const variant of variants) {
      expect(signRequest('secret', { ...post, ...variant }), JSON.stringify(variant)).not.toBe(POST_SIGNATURE);
    }
    expect(signRequest('secret2', post)).not.toBe(POST_SIGNATURE);
  });

  it('builds the four headers with a fresh nonce each time', () => {
    const credentials = { key: 'ak_1', secret: 'secret' };
    const request = { method: 'POST', pathWithQuery: post.pathWithQuery, bodySha256: POST_BODY_SHA256 };
    const fixed = signatureHeaders(credentials, request, { timestamp: post.timestamp, nonce: post.nonce });
    expect(fixed).toEqual({
      [SIGNATURE_HEADERS.key]: 'ak_1',
      [SIGNATURE_HEADERS.timestamp]: post.timestamp,
      [SIGNATURE_HEADERS.nonce]: post.nonce,
      [SIGNATURE_HEADERS.signature]: POST_SIGNATURE,
    });
    const first = signatureHeaders(credentials, request);
    const second = signatureHeaders(credentials, request);
    expect(first[SIGNATURE_HEADERS.nonce]).not.toBe(second[SIGNATURE_HEADERS.nonce]);
    expect(isValidNonce(first[SIGNATURE_HEADERS.nonce])).toBe(true);
  });
});

describe('nonces', () => {
  it('accepts 16 to 128 characters of A-Z, a-z, 0-9, _ and -', () => {
    for (const good of ['A'.repeat(16), 'z'.repeat(128), '0123456789abcdef', 'aZ09_-aZ09_-aZ09', newNonce()]) {
      expect(isValidNonce(good), good).toBe(true);
    }
    for (const bad of [
      '',
      'A'.repeat(15),
      'z'.repeat(129),
      'abcdefghijklmno=',
      'abcdefghijklmnop ',
      'abcdefghijklmn/+',
      'abcdefgh,ijklmnop',
      'éééééééééééééééé',
      'a\nbcdefghijklmnop',
    ]) {
      expect(isValidNonce(bad), JSON.stringify(bad)).toBe(false);
    }
  });

  it('are fresh from the CSPRNG', () => {
    const seen = new Set(Array.from({ length: 1000 }, () => newNonce()));
    expect(seen.size).toBe(1000);
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
