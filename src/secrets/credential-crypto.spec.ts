import { mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { validateEnvironment } from '../config/environment';
import { Settings } from '../config/settings';
import { constantTimeEqual, CredentialCrypto } from './credential-crypto';
import { SERVER_KEY_FILE } from './server-key';

function cryptoWith(env: Record<string, string>): CredentialCrypto {
  return new CredentialCrypto(new Settings(validateEnvironment(env)));
}

const KEY = Buffer.alloc(32, 7).toString('base64');

describe('CredentialCrypto', () => {
  it('round-trips a secret and never stores it in the clear', () => {
    const crypto = cryptoWith({ ENCRYPTION_KEY: KEY });
    const sealed = crypto.encrypt('s3cret-value', 'key-id-1');
    expect(sealed).toMatch(/^v1:/);
    expect(sealed).not.toContain('s3cret-value');
    expect(crypto.decrypt(sealed, 'key-id-1')).toBe('s3cret-value');
    expect(crypto.encrypt('s3cret-value', 'key-id-1')).not.toBe(sealed);
  });

  it('refuses a ciphertext moved to another row, tampered with, or read with another server key', () => {
    const crypto = cryptoWith({ ENCRYPTION_KEY: KEY });
    const sealed = crypto.encrypt('s3cret-value', 'key-id-1');
    expect(() => crypto.decrypt(sealed, 'key-id-2')).toThrow();
    const bytes = Buffer.from(sealed.slice(3), 'base64');
    bytes[bytes.length - 1] = (bytes[bytes.length - 1] ?? 0) ^ 1;
    expect(() => crypto.decrypt(`v1:${bytes.toString('base64')}`, 'key-id-1')).toThrow();
    expect(() => cryptoWith({ ENCRYPTION_KEY: Buffer.alloc(32, 8).toString('base64') }).decrypt(sealed, 'key-id-1')).toThrow();
  });

  it('hashes passwords with a keyed hash that depends on the server key', () => {
    const crypto = cryptoWith({ ENCRYPTION_KEY: KEY });
    const hash = crypto.hashPassword('pw');
    expect(hash).toMatch(/^[0-9a-f]{64}$/);
    expect(crypto.verifyPassword('pw', hash)).toBe(true);
    expect(crypto.verifyPassword('pw2', hash)).toBe(false);
    expect(cryptoWith({ ENCRYPTION_KEY: Buffer.alloc(32, 9).toString('base64') }).hashPassword('pw')).not.toBe(hash);
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
