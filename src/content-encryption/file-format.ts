import { createSecretKey, hkdfSync, KeyObject } from 'node:crypto';
import { associatedData } from './associated-data';
import { UnsupportedContentFormatError, WrongDataKeyError } from './content-errors';
import { DATA_KEY_ID_BYTES, DataKey, dataKeyIdBytes, dataKeyIdFromBytes } from './data-key';

/**
 * An encrypted file: a header, then the plaintext in chunks of FILE_CHUNK_BYTES (the last one
 * shorter, or empty for an empty file), each sealed with AES-256-GCM and followed by its tag.
 *
 *   header = magic "SCF" | version 1 | data key id (16) | salt (32)
 *   chunk i = AES-256-GCM(file key, nonce = i as 96 bits, aad = header | i | last?) | tag (16)
 *
 * The file key is HKDF-SHA256(data key, salt, header and user): a key of its own for every file,
 * so the nonces can simply count chunks (never reused: no birthday bound on random nonces across
 * the many files one data key encrypts), and a chunk of one file can never be replayed into
 * another. Binding the index and the last-chunk flag makes reordering, dropping, duplicating,
 * truncating and extending chunks all fail authentication.
 */
export const FILE_CHUNK_BYTES = 64 * 1024;
export const FILE_TAG_BYTES = 16;
export const SEALED_CHUNK_BYTES = FILE_CHUNK_BYTES + FILE_TAG_BYTES;
const MAGIC = Buffer.from('SCF\x01', 'latin1');
export const FILE_SALT_BYTES = 32;
export const FILE_HEADER_BYTES = MAGIC.length + DATA_KEY_ID_BYTES + FILE_SALT_BYTES;
const NONCE_BYTES = 12;

/** The size of the encrypted form of `plaintextBytes` bytes: what storage holds, exactly. */
export function encryptedFileSize(plaintextBytes: number): number {
  assertSize(plaintextBytes);
  const chunks = Math.max(1, Math.ceil(plaintextBytes / FILE_CHUNK_BYTES));
  return FILE_HEADER_BYTES + plaintextBytes + chunks * FILE_TAG_BYTES;
}

/** The plaintext size an encrypted file of `encryptedBytes` decrypts to; null when no file has that size. */
export function plaintextFileSize(encryptedBytes: number): number | null {
  assertSize(encryptedBytes);
  const body = encryptedBytes - FILE_HEADER_BYTES;
  if (body < FILE_TAG_BYTES) {
    return null;
  }
  const chunks = Math.ceil(body / SEALED_CHUNK_BYTES);
  const last = body - (chunks - 1) * SEALED_CHUNK_BYTES;
  return last < FILE_TAG_BYTES || (last === FILE_TAG_BYTES && chunks > 1) ? null : body - chunks * FILE_TAG_BYTES;
}

export function fileHeader(key: DataKey, salt: Buffer): Buffer {
  return Buffer.concat([MAGIC, dataKeyIdBytes(key.id), salt]);
}

/** Checks a header read back against the key given to open it. */
export function checkFileHeader(header: Buffer, key: DataKey): void {
  if (!header.subarray(0, MAGIC.length).equals(MAGIC)) {
    throw new UnsupportedContentFormatError(
      header.subarray(0, 3).equals(MAGIC.subarray(0, 3))
        ? `encrypted file format version ${header[3]} is not supported`
        : 'not an encrypted file',
    );
  }
  const keyId = dataKeyIdFromBytes(header.subarray(MAGIC.length, MAGIC.length + DATA_KEY_ID_BYTES));
  if (keyId !== key.id) {
    throw new WrongDataKeyError(keyId, key.id);
  }
}

/** The id of the data key an encrypted file's header names. */
export function fileHeaderKeyId(header: Buffer): string {
  if (header.length < FILE_HEADER_BYTES || !header.subarray(0, MAGIC.length).equals(MAGIC)) {
    throw new UnsupportedContentFormatError('not an encrypted file header');
  }
  return dataKeyIdFromBytes(header.subarray(MAGIC.length, MAGIC.length + DATA_KEY_ID_BYTES));
}

export function fileKey(key: DataKey, header: Buffer): KeyObject {
  const salt = header.subarray(MAGIC.length + DATA_KEY_ID_BYTES, FILE_HEADER_BYTES);
  const info = associatedData(['content-file', header.subarray(0, MAGIC.length + DATA_KEY_ID_BYTES), key.userId]);
  const derived = Buffer.from(hkdfSync('sha256', key.secret, salt, info, 32));
  try {
    return createSecretKey(derived);
  } finally {
    derived.fill(0);
  }
}

export function chunkNonce(index: number): Buffer {
  const nonce = Buffer.alloc(NONCE_BYTES);
  nonce.writeBigUInt64BE(BigInt(index), NONCE_BYTES - 8);
  return nonce;
}

export function chunkAssociatedData(header: Buffer, index: number, last: boolean): Buffer {
  const position = Buffer.alloc(9);
  position.writeBigUInt64BE(BigInt(index));
  position[8] = last ? 1 : 0;
  return Buffer.concat([header, position]);
}

function assertSize(bytes: number): void {
  if (!Number.isSafeInteger(bytes) || bytes < 0) {
    throw new RangeError(`not a byte count: ${bytes}`);
  }
}
