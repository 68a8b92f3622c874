import { createCipheriv, createDecipheriv, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { ServerKey, ServerKeyNotConfiguredError, ServerKeyRing } from './server-key-ring';

const CIPHER = 'aes-256-gcm';
const IV_BYTES = 12;
const TAG_BYTES = 16;
/** `v2:<server key id>:<base64 of iv, tag, ciphertext>`. */
const SECRET_FORMAT = 'v2';
/** Written before server keys had ids: made under whichever key was ENCRYPTION_KEY then. */
const LEGACY_SECRET_FORMAT = 'v1';
/** `p2$<server key id>$<base64url HMAC>`: fits the 64 characters of scim_credentials.password_hash. */
const PASSWORD_HASH_FORMAT = 'p2';

/**
 * The server keys' two credential uses, each with its own HKDF-derived subkey:
 * AES-256-GCM for API key secrets (the server must recompute request HMACs, so they cannot be
 * one-way hashed), and an HMAC pepper for SCIM password hashes. SCIM passwords are 256-bit
 * random strings, so a fast keyed hash is as strong as a slow one and keeps every request cheap.
 *
 * Both carry the id of the server key they were made under, so a rotation can keep reading them
 * with the previous key: secrets until the rotation command re-encrypts them, password hashes
 * (which nobody can re-hash without the password) until their credentials are replaced.
 */
@Injectable()
export class CredentialCrypto {
  constructor(private readonly keys: ServerKeyRing) {}

  /** A URL-safe random token of `bytes` bytes from the CSPRNG. */
  static randomToken(bytes: number): string {
    return randomBytes(bytes).toString('base64url');
  }

  /** `associatedData` binds the ciphertext to its row, so it cannot be moved to another key. */
  encrypt(plaintext: string, associatedData: string): string {
    const key = this.keys.current;
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv(CIPHER, key.subkey('api-key-secret-encryption'), iv);
    cipher.setAAD(Buffer.from(associatedData, 'utf8'));
    const ciphertext = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    return `${SECRET_FORMAT}:${key.id}:${Buffer.concat([iv, cipher.getAuthTag(), ciphertext]).toString('base64')}`;
  }

  decrypt(sealed: string, associatedData: string): string {
    const parts = sealed.split(':');
    if (parts[0] === SECRET_FORMAT && parts.length === 3) {
      const key = this.keys.find(parts[1] ?? '');
      if (!key) {
        throw new ServerKeyNotConfiguredError(parts[1] ?? '');
      }
      return open(key, Buffer.from(parts[2] ?? '', 'base64'), associatedData);
    }
    if (parts[0] === LEGACY_SECRET_FORMAT && parts.length === 2) {
      const payload = Buffer.from(parts[1] ?? '', 'base64');
      // GCM authenticates: only the key it was made under opens it.
      for (const key of this.keys.all) {
        try {
          return open(key, payload, associatedData);
        } catch {
          // the next key
        }
      }
      throw new ServerKeyNotConfiguredError(null);
    }
    throw new Error('unsupported secret format');
  }

  /** True when `sealed` is already encrypted under the current server key (nothing to rotate). */
  isUnderCurrentKey(sealed: string): boolean {
    return sealed.startsWith(`${SECRET_FORMAT}:${this.keys.current.id}:`);
  }

  hashPassword(password: string): string {
    const key = this.keys.current;
    return `${PASSWORD_HASH_FORMAT}$${key.id}$${pepper(key, password).toString('base64url')}`;
  }

  /**
   * Constant-time in the password's content, and the same work whatever the stored hash holds
   * (one HMAC per configured key), so an unknown username's stand-in hash costs what a real one does.
   */
  verifyPassword(password: string, storedHash: string): boolean {
    const keys = this.keys.all;
    const candidates = keys.map((key) => pepper(key, password));
    const tagged = parsePasswordHash(storedHash);
    if (tagged) {
      const index = keys.findIndex((key) => key.id === tagged.serverKeyId);
      // An unknown key id still costs one comparison.
      const candidate = index >= 0 ? candidates[index] : candidates[0];
      return constantTimeEqual(candidate?.toString('base64url') ?? '', tagged.hash) && index >= 0;
    }
    let matches = false;
    for (const candidate of candidates) {
      matches = constantTimeEqual(candidate.toString('hex'), storedHash) || matches;
    }
    return matches;
  }

  /**
   * The id of the server key a stored password hash was made under; null for a hash written
   * before hashes carried it (made under whichever key was ENCRYPTION_KEY then).
   */
  passwordHashServerKeyId(storedHash: string): string | null {
    return parsePasswordHash(storedHash)?.serverKeyId ?? null;
  }
}

export function constantTimeEqual(a: string, b: string): boolean {
  const left = Buffer.from(a, 'utf8');
  const right = Buffer.from(b, 'utf8');
  // Compare equal-length buffers either way so the length check leaks no timing of content.
  return timingSafeEqual(left.length === right.length ? left : right, right) && left.length === right.length;
}

function open(key: ServerKey, payload: Buffer, associatedData: string): string {
  const decipher = createDecipheriv(CIPHER, key.subkey('api-key-secret-encryption'), payload.subarray(0, IV_BYTES));
  decipher.setAAD(Buffer.from(associatedData, 'utf8'));
  decipher.setAuthTag(payload.subarray(IV_BYTES, IV_BYTES + TAG_BYTES));
  return Buffer.concat([decipher.update(payload.subarray(IV_BYTES + TAG_BYTES)), decipher.final()]).toString('utf8');
}

function pepper(key: ServerKey, password: string): Buffer {
  return createHmac('sha256', key.subkey('scim-password-pepper')).update(password, 'utf8').digest();
}

function parsePasswordHash(storedHash: string): { serverKeyId: string; hash: string } | null {
  const parts = storedHash.split('$');
  if (parts.length !== 3 || parts[0] !== PASSWORD_HASH_FORMAT) {
    return null;
  }
  return { serverKeyId: parts[1] ?? '', hash: parts[2] ?? '' };
}
