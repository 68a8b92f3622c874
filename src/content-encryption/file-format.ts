import { createSecretKey, hkdfSync, KeyObject } from 'node:crypto';
import { associatedData } from './associated-data';
import { UnsupportedContentFormatError, WrongDataKeyError } from './content-errors';
import { DATA_KEY_ID_BYTES, DataKey, dataKeyIdBytes, dataKeyIdFromBytes } from './data-key';

/**
 * An encrypted file: a header, then the plaintext in chunks of the header's chunk size (the last
 * one shorter, or empty for an empty file), each sealed with AES-256-GCM and followed by its tag.
 *
 *   header (format 2) = magic "SCF" | version 2 | chunk size (uint32) | data key id (16) | salt (32)
 *   header (format 1) = magic "SCF" | version 1 | data key id (16) | salt (32)   (chunks of 64 KiB)
 *   chunk i = AES-256-GCM(file key, nonce = i as 96 bits, aad = header | i | last?) | tag (16)
 *
 * The file key is HKDF-SHA256(data key, salt, header without the salt, and user): a key of its own
 * for every file, so the nonces can simply count chunks (never reused: no birthday bound on random
 * nonces across the many files one data key encrypts), and a chunk of one file can never be
 * replayed into another. Binding the index and the last-chunk flag makes reordering, dropping,
 * duplicating, truncating and extending chunks all fail authentication; binding the header binds
 * the chunk size, so changing it fails too.
 *
 * New files are written in format 2 with large chunks: every chunk costs a cipher, a tag and a
 * trip through the streams, and large ones keep that per-chunk work negligible beside the bytes
 * (docs/performance.md). Format 1 files, written before, stay readable as they are.
 */
export const FILE_CHUNK_BYTES = 1024 * 1024;
export const FILE_TAG_BYTES = 16;
export const FILE_SALT_BYTES = 32;
/** Chunk sizes a format 2 header may give: a reader buffers one chunk, so a header cannot make it hold more. */
export const MIN_FILE_CHUNK_BYTES = 4 * 1024;
export const MAX_FILE_CHUNK_BYTES = 16 * 1024 * 1024;

const MAGIC_BYTES = 4;
const FORMAT_1 = 1;
const FORMAT_2 = 2;
const FORMAT_1_CHUNK_BYTES = 64 * 1024;
const CHUNK_SIZE_FIELD_BYTES = 4;
const NONCE_BYTES = 12;

/** How an encrypted file is laid out: what its header says, or what a writer chose. */
export type FileLayout = { readonly headerBytes: number; readonly chunkBytes: number };

/** The layout of files written now (with the default chunk size). */
export const FILE_LAYOUT = format2Layout(FILE_CHUNK_BYTES);
/** The layout of files written before format 2. */
export const FORMAT_1_LAYOUT: FileLayout = {
  headerBytes: MAGIC_BYTES + DATA_KEY_ID_BYTES + FILE_SALT_BYTES,
  chunkBytes: FORMAT_1_CHUNK_BYTES,
};
/** Bytes of a file's start that name its format and, in format 2, its chunk size. */
export const FILE_PREAMBLE_BYTES = MAGIC_BYTES + CHUNK_SIZE_FIELD_BYTES;

export function format2Layout(chunkBytes: number): FileLayout {
  assertChunkBytes(chunkBytes);
  return { headerBytes: MAGIC_BYTES + CHUNK_SIZE_FIELD_BYTES + DATA_KEY_ID_BYTES + FILE_SALT_BYTES, chunkBytes };
}

/** The size of the encrypted form of `plaintextBytes` bytes: what storage holds, exactly. */
export function encryptedFileSize(plaintextBytes: number, layout: FileLayout = FILE_LAYOUT): number {
  assertSize(plaintextBytes);
  const chunks = Math.max(1, Math.ceil(plaintextBytes / layout.chunkBytes));
  return layout.headerBytes + plaintextBytes + chunks * FILE_TAG_BYTES;
}

/** The plaintext size an encrypted file of `encryptedBytes` decrypts to; null when no file has that size. */
export function plaintextFileSize(encryptedBytes: number, layout: FileLayout = FILE_LAYOUT): number | null {
  assertSize(encryptedBytes);
  const body = encryptedBytes - layout.headerBytes;
  if (body < FILE_TAG_BYTES) {
    return null;
  }
  const sealedChunkBytes = layout.chunkBytes + FILE_TAG_BYTES;
  const chunks = Math.ceil(body / sealedChunkBytes);
  const last = body - (chunks - 1) * sealedChunkBytes;
  return last < FILE_TAG_BYTES || (last === FILE_TAG_BYTES && chunks > 1) ? null : body - chunks * FILE_TAG_BYTES;
}

/** A format 2 header for a new file. */
export function fileHeader(key: DataKey, salt: Buffer, chunkBytes: number = FILE_CHUNK_BYTES): Buffer {
  assertChunkBytes(chunkBytes);
  const preamble = Buffer.from([0x53, 0x43, 0x46, FORMAT_2, 0, 0, 0, 0]);
  preamble.writeUInt32BE(chunkBytes, MAGIC_BYTES);
  return Buffer.concat([preamble, dataKeyIdBytes(key.id), salt]);
}

/**
 * The layout a file's first bytes announce (at least FILE_PREAMBLE_BYTES of them, or all the file
 * has); throws for bytes that are not an encrypted file or of a format this service cannot read.
 */
export function fileLayout(start: Buffer): FileLayout {
  if (start.length < MAGIC_BYTES || start.toString('latin1', 0, 3) !== 'SCF') {
    throw new UnsupportedContentFormatError('not an encrypted file');
  }
  const version = start[3];
  if (version === FORMAT_1) {
    return FORMAT_1_LAYOUT;
  }
  if (version !== FORMAT_2) {
    throw new UnsupportedContentFormatError(`encrypted file format version ${version} is not supported`);
  }
  if (start.length < FILE_PREAMBLE_BYTES) {
    throw new UnsupportedContentFormatError('the encrypted file ends inside its header');
  }
  const chunkBytes = start.readUInt32BE(MAGIC_BYTES);
  if (chunkBytes < MIN_FILE_CHUNK_BYTES || chunkBytes > MAX_FILE_CHUNK_BYTES) {
    throw new UnsupportedContentFormatError(`encrypted file chunk size ${chunkBytes} is outside what this service reads`);
  }
  return format2Layout(chunkBytes);
}

/** Checks a whole header read back against the key given to open it. */
export function checkFileHeader(header: Buffer, key: DataKey): void {
  const keyId = fileHeaderKeyId(header);
  if (keyId !== key.id) {
    throw new WrongDataKeyError(keyId, key.id);
  }
}

/** The id of the data key an encrypted file's header names. */
export function fileHeaderKeyId(header: Buffer): string {
  const layout = fileLayout(header);
  if (header.length < layout.headerBytes) {
    throw new UnsupportedContentFormatError('not an encrypted file header');
  }
  const keyIdEnd = layout.headerBytes - FILE_SALT_BYTES;
  return dataKeyIdFromBytes(header.subarray(keyIdEnd - DATA_KEY_ID_BYTES, keyIdEnd));
}

export function fileKey(key: DataKey, header: Buffer): KeyObject {
  const saltStart = fileLayout(header).headerBytes - FILE_SALT_BYTES;
  const salt = header.subarray(saltStart, saltStart + FILE_SALT_BYTES);
  const info = associatedData(['content-file', header.subarray(0, saltStart), key.userId]);
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

function assertChunkBytes(chunkBytes: number): void {
  if (!Number.isSafeInteger(chunkBytes) || chunkBytes < MIN_FILE_CHUNK_BYTES || chunkBytes > MAX_FILE_CHUNK_BYTES) {
    throw new RangeError(`not a chunk size between ${MIN_FILE_CHUNK_BYTES} and ${MAX_FILE_CHUNK_BYTES}: ${chunkBytes}`);
  }
}

function assertSize(bytes: number): void {
  if (!Number.isSafeInteger(bytes) || bytes < 0) {
    throw new RangeError(`not a byte count: ${bytes}`);
  }
}
