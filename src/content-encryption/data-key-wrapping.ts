import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { ServerKey } from '../secrets/server-key-ring';
import { associatedData } from './associated-data';
import { ContentTamperedError } from './content-errors';
import { DATA_KEY_BYTES } from './data-key';

const NONCE_BYTES = 12;
const TAG_BYTES = 16;
export const WRAPPED_KEY_BYTES = NONCE_BYTES + DATA_KEY_BYTES + TAG_BYTES;

/**
 * A data key sealed with AES-256-GCM under the server key's data-key-wrapping subkey, bound to its
 * row (key id and user), so a wrapped key copied onto another row or user does not open.
 */
export function wrapDataKey(serverKey: ServerKey, keyId: string, userId: string, raw: Buffer): Buffer {
  const nonce = randomBytes(NONCE_BYTES);
  const cipher = createCipheriv('aes-256-gcm', serverKey.subkey('data-key-wrapping'), nonce);
  cipher.setAAD(wrappingAssociatedData(keyId, userId));
  const wrapped = cipher.update(raw);
  cipher.final();
  return Buffer.concat([nonce, wrapped, cipher.getAuthTag()]);
}

/** The raw key: the caller wipes it (Buffer.fill(0)) once it has made what it needs from it. */
export function unwrapDataKey(serverKey: ServerKey, keyId: string, userId: string, wrapped: Uint8Array): Buffer {
  const bytes = Buffer.from(wrapped.buffer, wrapped.byteOffset, wrapped.byteLength);
  if (bytes.length !== WRAPPED_KEY_BYTES) {
    throw new ContentTamperedError(`wrapped data key ${keyId} has ${bytes.length} bytes, not ${WRAPPED_KEY_BYTES}`);
  }
  const decipher = createDecipheriv('aes-256-gcm', serverKey.subkey('data-key-wrapping'), bytes.subarray(0, NONCE_BYTES));
  decipher.setAAD(wrappingAssociatedData(keyId, userId));
  decipher.setAuthTag(bytes.subarray(NONCE_BYTES + DATA_KEY_BYTES));
  const raw = decipher.update(bytes.subarray(NONCE_BYTES, NONCE_BYTES + DATA_KEY_BYTES));
  try {
    decipher.final();
  } catch {
    raw.fill(0);
    throw new ContentTamperedError(
      `wrapped data key ${keyId} does not authenticate under server key ${serverKey.id} (modified, or moved from another row)`,
    );
  }
  return raw;
}

function wrappingAssociatedData(keyId: string, userId: string): Buffer {
  return associatedData(['data-key', keyId, userId]);
}
