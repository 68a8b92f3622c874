import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { validateEnvironment } from '../config/environment';
import { Settings } from '../config/settings';
import { ServerKeyPurpose, ServerKeyRing } from './server-key-ring';

const key = (fill: number): string => Buffer.alloc(32, fill).toString('base64');

function ringWith(env: Record<string, string>): ServerKeyRing {
  return new ServerKeyRing(new Settings(validateEnvironment(env)));
}

const PURPOSES: ServerKeyPurpose[] = ['api-key-secret-encryption', 'scim-password-pepper', 'data-key-wrapping'];

describe('ServerKeyRing', () => {
  it('gives each key a stable id of its own that reveals nothing of the key', () => {
    const ring = ringWith({ ENCRYPTION_KEY: key(1) });
    expect(ring.current.id).toMatch(/^[0-9a-f]{16}$/);
    expect(ringWith({ ENCRYPTION_KEY: key(1) }).current.id).toBe(ring.current.id);
    expect(ringWith({ ENCRYPTION_KEY: key(2) }).current.id).not.toBe(ring.current.id);
    const material = Buffer.alloc(32, 1);
    expect(material.toString('hex')).not.toContain(ring.current.id);
    for (const purpose of PURPOSES) {
      expect(ring.current.subkey(purpose).toString('hex')).not.toContain(ring.current.id);
    }
  });

  it('derives a different subkey for each purpose and each key', () => {
    const first = ringWith({ ENCRYPTION_KEY: key(1) }).current;
    const second = ringWith({ ENCRYPTION_KEY: key(2) }).current;
    const subkeys = [...PURPOSES.map((purpose) => first.subkey(purpose)), ...PURPOSES.map((purpose) => second.subkey(purpose))];
    expect(new Set(subkeys.map((subkey) => subkey.toString('hex'))).size).toBe(subkeys.length);
    expect(subkeys.every((subkey) => subkey.length === 32)).toBe(true);
    expect(first.subkey('data-key-wrapping').equals(Buffer.alloc(32, 1))).toBe(false);
  });

  it('knows the previous keys by id, current first, each once, and nothing else', () => {
    const ring = ringWith({ ENCRYPTION_KEY: key(1), ENCRYPTION_KEYS_PREVIOUS: [key(2), key(1), key(3), key(2)].join(',') });
    const [two, three] = [ringWith({ ENCRYPTION_KEY: key(2) }).current.id, ringWith({ ENCRYPTION_KEY: key(3) }).current.id];
    expect(ring.previous.map((previous) => previous.id)).toEqual([two, three]);
    expect(ring.all.map((each) => each.id)).toEqual([ring.current.id, two, three]);
    expect(ring.find(three)?.subkey('data-key-wrapping')).toEqual(ringWith({ ENCRYPTION_KEY: key(3) }).current.subkey('data-key-wrapping'));
    expect(ring.find(ringWith({ ENCRYPTION_KEY: key(4) }).current.id)).toBeNull();
    expect(ring.find('')).toBeNull();
  });

  it('uses the generated key file as the current key when ENCRYPTION_KEY is not set', () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'key-ring-spec-'));
    const first = ringWith({ DATA_DIR: dataDir, ENCRYPTION_KEYS_PREVIOUS: key(2) });
    expect(ringWith({ DATA_DIR: dataDir }).current.id).toBe(first.current.id);
    expect(first.previous.map((previous) => previous.id)).toEqual([ringWith({ ENCRYPTION_KEY: key(2) }).current.id]);
  });
});
