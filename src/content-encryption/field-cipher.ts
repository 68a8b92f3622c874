import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { associatedData } from './associated-data';
import { ContentTamperedError, UnsupportedContentFormatError, WrongDataKeyError } from './content-errors';
import { DATA_KEY_ID_BYTES, DataKey, dataKeyIdBytes, dataKeyIdFromBytes } from './data-key';

/** Which value a sealed field holds: bound into it, so a subject cannot be passed off as a body. */
export type ContentField = 'message.subject' | 'message.body' | 'file.name';

const VERSION = 1;
const NONCE_BYTES = 12;
const TAG_BYTES = 16;
const HEADER_BYTES = 1 + DATA_KEY_ID_BYTES;
/** What sealing adds to the UTF-8 plaintext: version, key id, nonce, tag. */
export const SEALED_FIELD_OVERHEAD = HEADER_BYTES + NONCE_BYTES + TAG_BYTES;

/** The bytes `sealField` returns for a plaintext of `utf8Bytes` bytes (column sizing). */
export function sealedFieldBytes(utf8Bytes: number): number {
  return SEALED_FIELD_OVERHEAD + utf8Bytes;
}

/**
 * A small value (a subject, a body, a file name) sealed with AES-256-GCM under the user's data key:
 * `version (1) | data key id (16) | nonce (12) | ciphertext | tag (16)`, binary, self-describing.
 * The nonce is fresh from the CSPRNG for every value; the associated data binds the value to its
 * user, its field and its data key, so it cannot be moved to another user or field unnoticed.
 */
export function sealField(key: DataKey, field: ContentField, plaintext: string): Buffer {
  const header = Buffer.alloc(HEADER_BYTES);
  header[0] = VERSION;
  dataKeyIdBytes(key.id).copy(header, 1);
  const nonce = randomBytes(NONCE_BYTES);
  const cipher = createCipheriv('aes-256-gcm', key.secret, nonce);
  cipher.setAAD(fieldAssociatedData(header, key.userId, field));
  const ciphertext = cipher.update(plaintext, 'utf8');
  cipher.final();
  return Buffer.concat([header, nonce, ciphertext, cipher.getAuthTag()]);
}

/** The id of the data key that opens a sealed field (to fetch it). */
export function sealedFieldKeyId(sealed: Uint8Array): string {
  return dataKeyIdFromBytes(readHeader(sealed).subarray(1));
}

export function openField(key: DataKey, field: ContentField, sealed: Uint8Array): string {
  const bytes = Buffer.from(sealed.buffer, sealed.byteOffset, sealed.byteLength);
  const header = readHeader(bytes);
  const keyId = dataKeyIdFromBytes(header.subarray(1));
  if (keyId !== key.id) {
    throw new WrongDataKeyError(keyId, key.id);
  }
  const decipher = createDecipheriv('aes-256-gcm', key.secret, bytes.subarray(HEADER_BYTES, HEADER_BYTES + NONCE_BYTES));
  decipher.setAAD(fieldAssociatedData(header, key.userId, field));
  decipher.setAuthTag(bytes.subarray(bytes.length - TAG_BYTES));
  const plaintext = decipher.update(bytes.subarray(HEADER_BYTES + NONCE_BYTES, bytes.length - TAG_BYTES));
  try {
    decipher.final();
  } catch {
    throw new ContentTamperedError(
      `a sealed ${field} does not authenticate under data key ${key.id} (modified, or moved from another user or field)`,
    );
  }
  return plaintext.toString('utf8');
}

function readHeader(sealed: Uint8Array): Buffer {
  if (sealed.byteLength < SEALED_FIELD_OVERHEAD || sealed[0] !== VERSION) {
    throw new UnsupportedContentFormatError(
      sealed.byteLength < SEALED_FIELD_OVERHEAD
        ? 'not a sealed field: too short'
        : `sealed field format version ${sealed[0]} is not supported`,
    );
  }
  return Buffer.from(sealed.buffer, sealed.byteOffset, HEADER_BYTES);
}

function fieldAssociatedData(header: Buffer, userId: string, field: ContentField): Buffer {
  return associatedData(['content-field', header, userId, field]);
}
