import { createCipheriv, createDecipheriv, createHmac, hkdfSync, randomBytes, timingSafeEqual } from 'node:crypto';
import { Injectable, Logger } from '@nestjs/common';
import { Settings } from '../config/settings';
import { loadServerKey } from './server-key';

const CIPHER = 'aes-256-gcm';
const IV_BYTES = 12;
const TAG_BYTES = 16;
const FORMAT_VERSION = 'v1';

/**
 * The server key's two uses, each with its own HKDF-derived subkey:
 * AES-256-GCM for API key secrets (the server must recompute request HMACs, so they cannot be
 * one-way hashed), and an HMAC pepper for SCIM password hashes. SCIM passwords are 256-bit
 * random strings, so a fast keyed hash is as strong as a slow one and keeps every request cheap.
 */
@Injectable()
export class CredentialCrypto {
  private readonly encryptionKey: Buffer;
  private readonly passwordPepper: Buffer;

  constructor(settings: Settings) {
    const loaded = loadServerKey(settings.encryptionKey, settings.dataDir);
    if (loaded.source !== 'environment') {
      new Logger(CredentialCrypto.name).warn(
        `ENCRYPTION_KEY is not set: using the key in ${loaded.file}${loaded.source === 'new-file' ? ' (created now)' : ''}. ` +
          'Anyone who can read the data directory can decrypt API key secrets; set ENCRYPTION_KEY in production.',
      );
    }
    this.encryptionKey = derive(loaded.key, 'api-key-secret-encryption');
    this.passwordPepper = derive(loaded.key, 'scim-password-pepper');
  }

  /** A URL-safe random token of `bytes` bytes from the CSPRNG. */
  static randomToken(bytes: number): string {
    return randomBytes(bytes).toString('base64url');
  }

  /** `associatedData` binds the ciphertext to its row, so it cannot be moved to another key. */
  encrypt(plaintext: string, associatedData: string): string {
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv(CIPHER, this.encryptionKey, iv);
    cipher.setAAD(Buffer.from(associatedData, 'utf8'));
    const ciphertext = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    return `${FORMAT_VERSION}:${Buffer.concat([iv, cipher.getAuthTag(), ciphertext]).toString('base64')}`;
  }

  decrypt(sealed: string, associatedData: string): string {
    const [version, payload] = sealed.split(':', 2);
    if (version !== FORMAT_VERSION || payload === undefined) {
      throw new Error('unsupported secret format');
    }
    const bytes = Buffer.from(payload, 'base64');
    const decipher = createDecipheriv(CIPHER, this.encryptionKey, bytes.subarray(0, IV_BYTES));
    decipher.setAAD(Buffer.from(associatedData, 'utf8'));
    decipher.setAuthTag(bytes.subarray(IV_BYTES, IV_BYTES + TAG_BYTES));
    return Buffer.concat([decipher.update(bytes.subarray(IV_BYTES + TAG_BYTES)), decipher.final()]).toString('utf8');
  }

  hashPassword(password: string): string {
    return createHmac('sha256', this.passwordPepper).update(password, 'utf8').digest('hex');
  }

  /** Constant-time in the password's content; the stored hash has a fixed length. */
  verifyPassword(password: string, storedHash: string): boolean {
    return constantTimeEqual(this.hashPassword(password), storedHash);
  }
}

export function constantTimeEqual(a: string, b: string): boolean {
  const left = Buffer.from(a, 'utf8');
  const right = Buffer.from(b, 'utf8');
  // Compare equal-length buffers either way so the length check leaks no timing of content.
  return timingSafeEqual(left.length === right.length ? left : right, right) && left.length === right.length;
}

function derive(key: Buffer, purpose: string): Buffer {
  return Buffer.from(hkdfSync('sha256', key, Buffer.alloc(0), purpose, 32));
}
