import { hkdfSync } from 'node:crypto';
import { Injectable, Logger } from '@nestjs/common';
import { Settings } from '../config/settings';
import { loadServerKey } from './server-key';

/**
 * What a server key protects, one HKDF label each, so no two uses ever share key material. The
 * first two labels are those the service has always used: changing them would make every stored
 * API key secret and SCIM password hash unreadable.
 */
export type ServerKeyPurpose = 'api-key-secret-encryption' | 'scim-password-pepper' | 'data-key-wrapping' | 'console-csrf';

const SUBKEY_BYTES = 32;
const KEY_ID_LABEL = 'server-key-id';
const KEY_ID_BYTES = 8;

/** Something stored was made under a server key this process is not configured with. */
export class ServerKeyNotConfiguredError extends Error {
  override readonly name = 'ServerKeyNotConfiguredError';

  constructor(
    readonly serverKeyId: string | null,
    what = 'the secret',
  ) {
    super(
      serverKeyId === null
        ? `${what} was made under none of the configured server keys (ENCRYPTION_KEY, ENCRYPTION_KEYS_PREVIOUS)`
        : `${what} was made under server key ${serverKeyId}, which is neither ENCRYPTION_KEY nor in ENCRYPTION_KEYS_PREVIOUS`,
    );
  }
}

/**
 * One server key (ENCRYPTION_KEY, or one it replaced). Its id is derived from it through HKDF under
 * its own label: stable across restarts and processes, stored beside what the key protects, and
 * telling nothing about the key. Lowercase hex, so a case-insensitive collation compares it exactly.
 */
export class ServerKey {
  readonly id: string;
  private readonly subkeys = new Map<ServerKeyPurpose, Buffer>();

  constructor(private readonly material: Buffer) {
    this.id = derive(material, KEY_ID_LABEL, KEY_ID_BYTES).toString('hex');
  }

  subkey(purpose: ServerKeyPurpose): Buffer {
    let subkey = this.subkeys.get(purpose);
    if (!subkey) {
      subkey = derive(this.material, purpose, SUBKEY_BYTES);
      this.subkeys.set(purpose, subkey);
    }
    return subkey;
  }
}

/**
 * The server keys this process knows: the current one, which everything new is encrypted, wrapped
 * or hashed under, and the previous ones (ENCRYPTION_KEYS_PREVIOUS), which are only ever read with,
 * until `npm run cli -- rotate-encryption-key` has moved what they protect to the current key.
 */
@Injectable()
export class ServerKeyRing {
  readonly current: ServerKey;
  readonly previous: readonly ServerKey[];

  constructor(settings: Settings) {
    const loaded = loadServerKey(settings.encryptionKey, settings.dataDir);
    if (loaded.source !== 'environment') {
      new Logger(ServerKeyRing.name).warn(
        `ENCRYPTION_KEY is not set: using the key in ${loaded.file}${loaded.source === 'new-file' ? ' (created now)' : ''}. ` +
          "Anyone who can read the data directory can decrypt API key secrets and users' data keys; set ENCRYPTION_KEY in production.",
      );
    }
    this.current = new ServerKey(loaded.key);
    const previous = new Map<string, ServerKey>();
    for (const material of settings.previousEncryptionKeys) {
      const key = new ServerKey(material);
      // The current key listed again, or a key listed twice, adds nothing.
      if (key.id !== this.current.id) {
        previous.set(key.id, key);
      }
    }
    this.previous = [...previous.values()];
  }

  /** The current key first. */
  get all(): readonly ServerKey[] {
    return [this.current, ...this.previous];
  }

  /** The configured key with this id, or null when it is not (or no longer) configured. */
  find(id: string): ServerKey | null {
    return this.all.find((key) => key.id === id) ?? null;
  }
}

function derive(key: Buffer, label: string, bytes: number): Buffer {
  return Buffer.from(hkdfSync('sha256', key, Buffer.alloc(0), label, bytes));
}
