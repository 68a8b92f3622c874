import { mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { validateEnvironment } from '../config/environment';
import { Settings } from '../config/settings';
import { constantTimeEqual, CredentialCrypto } from './credential-crypto';
import { SERVER_KEY_FILE } from './server-key';
import { ServerKeyNotConfiguredError, ServerKeyRing } from './server-key-ring';

function cryptoWith(env: Record<string, string>): CredentialCrypto {
  return new CredentialCrypto(new ServerKeyRing(new Settings(validateEnvironment(env))));
}

const key = (fill: number): string => Buffer.alloc(32, fill).toString('base64');
const KEY = key(7);
const OLD_KEY = key(5);

// Written by the release before server key ids (CredentialCrypto of main at 925c9db) under OLD_KEY.
const LEGACY_SECRET = 'v1:D18QdE5bbT9AjB3FdX6BJbfQzKFOJkPVqZX4+0sBLVRnNVsF0Vx+uwo=';
const LEGACY_SECRET_ROW = 'row-1';
const LEGACY_PASSWORD_HASH = '2494e8fde8d0ff1e73a84daeacb1f78751fcf255e43a7766b40b17d5f98396c5';
const LEGACY_PASSWORD = 'legacy-password';

describe('CredentialCrypto', () => {
  it('round-trips a secret and never stores it in the clear', () => {
    const crypto = cryptoWith({ ENCRYPTION_KEY: KEY });
    const sealed = crypto.encrypt('s3cret-value', 'key-id-1');
    expect(sealed).toMatch(/^v2:[0-9a-f]{16}:/);
    expect(sealed).not.toContain('s3cret-value');
    expect(crypto.decrypt(sealed, 'key-id-1')).toBe('s3cret-value');
    expect(crypto.encrypt('s3cret-value', 'key-id-1')).not.toBe(sealed);
  });

  it('refuses a ciphertext moved to another row, tampered with, or read with another server key', () => {
    const crypto = cryptoWith({ ENCRYPTION_KEY: KEY });
    const sealed = crypto.encrypt('s3cret-value', 'key-id-1');
    expect(() => crypto.decrypt(sealed, 'key-id-2')).toThrow();
    const [version, keyId, payload] = sealed.split(':');
    const bytes = Buffer.from(payload ?? '', 'base64');
    bytes[bytes.length - 1] = (bytes[bytes.length - 1] ?? 0) ^ 1;
    expect(() => crypto.decrypt(`${version}:${keyId}:${bytes.toString('base64')}`, 'key-id-1')).toThrow();
    expect(() => cryptoWith({ ENCRYPTION_KEY: key(8) }).decrypt(sealed, 'key-id-1')).toThrow(ServerKeyNotConfiguredError);
  });

  it('reads secrets stored before server keys had ids, under the current key or a previous one', () => {
    expect(cryptoWith({ ENCRYPTION_KEY: OLD_KEY }).decrypt(LEGACY_SECRET, LEGACY_SECRET_ROW)).toBe('legacy-secret');
    const rotated = cryptoWith({ ENCRYPTION_KEY: KEY, ENCRYPTION_KEYS_PREVIOUS: OLD_KEY });
    expect(rotated.decrypt(LEGACY_SECRET, LEGACY_SECRET_ROW)).toBe('legacy-secret');
    expect(rotated.isUnderCurrentKey(LEGACY_SECRET)).toBe(false);
    expect(() => rotated.decrypt(LEGACY_SECRET, 'row-2')).toThrow(ServerKeyNotConfiguredError);
    expect(() => cryptoWith({ ENCRYPTION_KEY: KEY }).decrypt(LEGACY_SECRET, LEGACY_SECRET_ROW)).toThrow(ServerKeyNotConfiguredError);
  });

  it('keeps reading secrets of a previous key while it is configured, and always encrypts under the current one', () => {
    const before = cryptoWith({ ENCRYPTION_KEY: OLD_KEY });
    const sealed = before.encrypt('kept', 'row');
    const during = cryptoWith({ ENCRYPTION_KEY: KEY, ENCRYPTION_KEYS_PREVIOUS: OLD_KEY });
    expect(during.decrypt(sealed, 'row')).toBe('kept');
    expect(during.isUnderCurrentKey(sealed)).toBe(false);
    const resealed = during.encrypt('kept', 'row');
    expect(during.isUnderCurrentKey(resealed)).toBe(true);
    const after = cryptoWith({ ENCRYPTION_KEY: KEY });
    expect(after.decrypt(resealed, 'row')).toBe('kept');
    expect(() => after.decrypt(sealed, 'row')).toThrow(/neither ENCRYPTION_KEY nor in ENCRYPTION_KEYS_PREVIOUS/);
  });

  it('hashes passwords with a keyed hash tagged with its server key, short enough for the 64-character column', () => {
    const crypto = cryptoWith({ ENCRYPTION_KEY: KEY });
    const hash = crypto.hashPassword('pw');
    expect(hash).toMatch(/^p2\$[0-9a-f]{16}\$[A-Za-z0-9_-]{43}$/);
    expect(hash.length).toBeLessThanOrEqual(64);
    expect(crypto.verifyPassword('pw', hash)).toBe(true);
    expect(crypto.verifyPassword('pw2', hash)).toBe(false);
    expect(cryptoWith({ ENCRYPTION_KEY: key(9) }).hashPassword('pw')).not.toBe(hash);
    expect(crypto.passwordHashServerKeyId(hash)).toBe(hash.split('$')[1]);
  });

  it('verifies a password hashed under a previous key while that key is configured, and no longer once it is removed', () => {
    const hash = cryptoWith({ ENCRYPTION_KEY: OLD_KEY }).hashPassword('pw');
    const during = cryptoWith({ ENCRYPTION_KEY: KEY, ENCRYPTION_KEYS_PREVIOUS: OLD_KEY });
    expect(during.verifyPassword('pw', hash)).toBe(true);
    expect(during.verifyPassword('other', hash)).toBe(false);
    expect(during.passwordHashServerKeyId(hash)).not.toBe(during.passwordHashServerKeyId(during.hashPassword('pw')));
    expect(cryptoWith({ ENCRYPTION_KEY: KEY }).verifyPassword('pw', hash)).toBe(false);
  });

  it('verifies password hashes stored before hashes were tagged, under the current or a previous key', () => {
    expect(cryptoWith({ ENCRYPTION_KEY: OLD_KEY }).verifyPassword(LEGACY_PASSWORD, LEGACY_PASSWORD_HASH)).toBe(true);
    const during = cryptoWith({ ENCRYPTION_KEY: KEY, ENCRYPTION_KEYS_PREVIOUS: OLD_KEY });
    expect(during.verifyPassword(LEGACY_PASSWORD, LEGACY_PASSWORD_HASH)).toBe(true);
    expect(during.verifyPassword('wrong', LEGACY_PASSWORD_HASH)).toBe(false);
    expect(during.passwordHashServerKeyId(LEGACY_PASSWORD_HASH)).toBeNull();
    expect(cryptoWith({ ENCRYPTION_KEY: KEY }).verifyPassword(LEGACY_PASSWORD, LEGACY_PASSWORD_HASH)).toBe(false);
  });

  it('refuses every password against a stand-in hash, whatever its form', () => {
    const crypto = cryptoWith({ ENCRYPTION_KEY: KEY, ENCRYPTION_KEYS_PREVIOUS: OLD_KEY });
    for (const stored of ['0'.repeat(64), '', 'p2$$', `p2$${'0'.repeat(16)}$${'A'.repeat(43)}`, 'not a hash']) {
      expect(crypto.verifyPassword('pw', stored)).toBe(false);
    }
  });

  it('creates a private key file under the data directory when no key is configured, and reuses it', () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'crypto-spec-'));
    const first = cryptoWith({ DATA_DIR: dataDir });
    const file = join(dataDir, SERVER_KEY_FILE);
    expect(Buffer.from(readFileSync(file, 'utf8').trim(), 'base64')).toHaveLength(32);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const sealed = first.encrypt('kept', 'id');
    expect(cryptoWith({ DATA_DIR: dataDir }).decrypt(sealed, 'id')).toBe('kept');
  });

  it('generates URL-safe random tokens of the requested strength', () => {
    const tokens = new Set(Array.from({ length: 100 }, () => CredentialCrypto.randomToken(32)));
    expect(tokens.size).toBe(100);
    for (const token of tokens) {
      expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    }
  });
});

describe('constantTimeEqual', () => {
  it('compares content and length', () => {
    expect(constantTimeEqual('abc', 'abc')).toBe(true);
    expect(constantTimeEqual('abc', 'abd')).toBe(false);
    expect(constantTimeEqual('abc', 'abcd')).toBe(false);
    expect(constantTimeEqual('', '')).toBe(true);
  });
});

describe('ENCRYPTION_KEY', () => {
  it('is required with MySQL and must be 32 bytes of base64', () => {
    expect(() => validateEnvironment({ DATABASE_URL: 'mysql://db/scim' })).toThrow(/ENCRYPTION_KEY is required with DATABASE_URL/);
    expect(() => validateEnvironment({ ENCRYPTION_KEY: 'c2hvcnQ=' })).toThrow(/exactly 32 bytes/);
    expect(() => validateEnvironment({ DATABASE_URL: 'mysql://db/scim', ENCRYPTION_KEY: KEY })).not.toThrow();
  });
});

describe('ENCRYPTION_KEYS_PREVIOUS', () => {
  it('takes a comma-separated list of 32-byte base64 keys, and names itself (never the values) when one is wrong', () => {
    expect(
      new Settings(validateEnvironment({ ENCRYPTION_KEY: KEY, ENCRYPTION_KEYS_PREVIOUS: ` ${OLD_KEY} , ${key(6)} ` }))
        .previousEncryptionKeys,
    ).toEqual([Buffer.alloc(32, 5), Buffer.alloc(32, 6)]);
    expect(new Settings(validateEnvironment({ ENCRYPTION_KEY: KEY, ENCRYPTION_KEYS_PREVIOUS: '' })).previousEncryptionKeys).toEqual([]);
    for (const wrong of [
      `${OLD_KEY},c2hvcnQ=`,
      `${OLD_KEY};${key(6)}`,
      `${OLD_KEY},`,
      Array.from({ length: 9 }, (_, i) => key(i + 10)).join(','),
    ]) {
      let message = '';
      try {
        validateEnvironment({ ENCRYPTION_KEY: KEY, ENCRYPTION_KEYS_PREVIOUS: wrong });
      } catch (error) {
        message = (error as Error).message;
      }
      expect(message, wrong).toMatch(/ENCRYPTION_KEYS_PREVIOUS must be a comma-separated list of at most 8 keys/);
      expect(message).not.toContain(OLD_KEY);
    }
  });
});
