import { createHash, createSecretKey, randomBytes, randomUUID } from 'node:crypto';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { markReleasable } from '../common/released-buffers';
import {
  ContentDecryptionError,
  ContentTamperedError,
  ContentTruncatedError,
  UnsupportedContentFormatError,
  WrongDataKeyError,
} from './content-errors';
import { DataKey } from './data-key';
import { FileDecryptor, FileDecryptorOptions } from './file-decryptor';
import { FileEncryptor } from './file-encryptor';
import { encryptedFileSize, FILE_CHUNK_BYTES, FILE_LAYOUT, fileHeaderKeyId, format2Layout, plaintextFileSize } from './file-format';

// Small chunks, so the properties explore many chunk boundaries quickly; the size written by
// default is covered below, and files of format 1 in file-format-1.spec.ts.
const CHUNK = 4096;
const LAYOUT = format2Layout(CHUNK);
const FILE_HEADER_BYTES = LAYOUT.headerBytes;
const SEALED_CHUNK_BYTES = CHUNK + 16;
const SIZES = [0, 1, CHUNK - 1, CHUNK, CHUNK + 1, 2 * CHUNK, 3 * CHUNK - 1, 3 * CHUNK, 3 * CHUNK + 1];

function testDataKey(overrides: { id?: string; userId?: string } = {}): DataKey {
  return new DataKey(overrides.id ?? randomUUID(), overrides.userId ?? randomUUID(), createSecretKey(randomBytes(32)));
}

/** `bytes` cut into pieces of the given sizes, cycling through them. */
function pieces(bytes: Buffer, sizes: readonly number[]): Buffer[] {
  const result: Buffer[] = [];
  for (let offset = 0, turn = 0; offset < bytes.length; turn += 1) {
    const size = sizes[turn % sizes.length] ?? bytes.length;
    result.push(bytes.subarray(offset, offset + size));
    offset += size;
  }
  return result;
}

function collector(into: Buffer[]): Writable {
  return new Writable({
    write(chunk: Buffer, _encoding, callback) {
      into.push(chunk);
      callback();
    },
  });
}

async function encrypt(
  key: DataKey,
  plaintext: Buffer,
  writeSizes: readonly number[] = [plaintext.length],
  chunkBytes = CHUNK,
): Promise<{ sealed: Buffer; encryptor: FileEncryptor }> {
  const encryptor = new FileEncryptor(key, { chunkBytes });
  const out: Buffer[] = [];
  await pipeline(Readable.from(pieces(plaintext, writeSizes)), encryptor, collector(out));
  return { sealed: Buffer.concat(out), encryptor };
}

/** What a reader got before the stream failed (or all of it), and the failure. */
async function decrypt(
  key: DataKey,
  sealed: Buffer,
  options: FileDecryptorOptions = {},
  readSizes: readonly number[] = [sealed.length],
): Promise<{ plaintext: Buffer; error: unknown }> {
  const out: Buffer[] = [];
  let error: unknown = null;
  await pipeline(Readable.from(pieces(sealed, readSizes)), new FileDecryptor(key, options), collector(out)).catch((failure: unknown) => {
    error = failure;
  });
  return { plaintext: Buffer.concat(out), error };
}

/** The sealed chunks of an encrypted file, after its header. */
function sealedChunks(sealed: Buffer): Buffer[] {
  return pieces(sealed.subarray(FILE_HEADER_BYTES), [SEALED_CHUNK_BYTES]);
}

const sizeArbitrary = fc.oneof(fc.constantFrom(...SIZES), fc.integer({ min: 0, max: 3 * CHUNK + 100 }));
const writeSizesArbitrary = fc.array(fc.integer({ min: 1, max: 2 * CHUNK + 7 }), { minLength: 1, maxLength: 4 });

describe('FileEncryptor and FileDecryptor', () => {
  it('round-trip every size around the chunk boundaries, however the bytes are cut into writes and reads', async () => {
    const key = testDataKey();
    await fc.assert(
      fc.asyncProperty(sizeArbitrary, writeSizesArbitrary, writeSizesArbitrary, async (size, writeSizes, readSizes) => {
        const plaintext = randomBytes(size);
        const { sealed, encryptor } = await encrypt(key, plaintext, writeSizes);
        expect(sealed.length).toBe(encryptedFileSize(size, LAYOUT));
        expect(plaintextFileSize(sealed.length, LAYOUT)).toBe(size);
        expect(encryptor.plaintextBytes).toBe(size);
        expect(encryptor.sha256).toBe(createHash('sha256').update(plaintext).digest('hex'));
        const { plaintext: decrypted, error } = await decrypt(key, sealed, {}, readSizes);
        expect(error).toBeNull();
        expect(decrypted.equals(plaintext)).toBe(true);
        const known = await decrypt(key, sealed, { expectedPlaintextBytes: size }, readSizes);
        expect(known.error).toBeNull();
        expect(known.plaintext.equals(plaintext)).toBe(true);
      }),
      { numRuns: 60 },
    );
  });

  it('write large chunks by default, and read them back whatever the size of the reads', async () => {
    const key = testDataKey();
    const plaintext = randomBytes(2 * FILE_CHUNK_BYTES + 1000);
    const { sealed } = await encrypt(key, plaintext, [64 * 1024], FILE_CHUNK_BYTES);
    const viaDefault = new FileEncryptor(key);
    const out: Buffer[] = [];
    await pipeline(Readable.from([plaintext]), viaDefault, collector(out));
    expect(Buffer.concat(out).length).toBe(encryptedFileSize(plaintext.length, FILE_LAYOUT));
    expect(sealed.length).toBe(encryptedFileSize(plaintext.length));
    for (const reads of [[sealed.length], [1024 * 1024], [65_536, 7]]) {
      const { plaintext: decrypted, error } = await decrypt(key, Buffer.concat(out), { expectedPlaintextBytes: plaintext.length }, reads);
      expect(error).toBeNull();
      expect(decrypted.equals(plaintext)).toBe(true);
    }
  });

  it('give back the memory of input chunks marked releasable once opened, and only theirs', async () => {
    const key = testDataKey();
    const plaintext = randomBytes(3 * CHUNK + 5);
    const { sealed } = await encrypt(key, plaintext);
    const ownCopy = (piece: Buffer): Buffer => {
      const copy = Buffer.allocUnsafeSlow(piece.length);
      piece.copy(copy);
      return copy;
    };
    const reads = pieces(sealed, [8192]).map((piece) => markReleasable(ownCopy(piece)));
    const unmarked = Buffer.from(reads.pop() as Buffer);
    const out: Buffer[] = [];
    await pipeline(Readable.from([...reads, unmarked]), new FileDecryptor(key), collector(out));
    expect(Buffer.concat(out).equals(plaintext)).toBe(true);
    expect(reads.every((read) => read.length === 0)).toBe(true);
    expect(unmarked.length).toBeGreaterThan(0);
  });

  it('give back the memory of marked plaintext chunks once hashed and sealed, and only theirs', async () => {
    const key = testDataKey();
    const plaintext = randomBytes(3 * CHUNK + 5);
    const writes = pieces(plaintext, [CHUNK + 3, 5000]).map((piece) => {
      const copy = Buffer.allocUnsafeSlow(piece.length);
      piece.copy(copy);
      return copy;
    });
    const unmarked = writes.pop() as Buffer;
    const marked = writes.map(markReleasable);
    const encryptor = new FileEncryptor(key, { chunkBytes: CHUNK });
    const sealed: Buffer[] = [];
    await pipeline(Readable.from([...marked, unmarked]), encryptor, collector(sealed));
    expect(marked.every((write) => write.length === 0)).toBe(true);
    expect(unmarked.length).toBeGreaterThan(0);
    expect(encryptor.sha256).toBe(createHash('sha256').update(plaintext).digest('hex'));
    const { plaintext: decrypted, error } = await decrypt(key, Buffer.concat(sealed));
    expect(error).toBeNull();
    expect(decrypted.equals(plaintext)).toBe(true);
  });

  it('never write the plaintext out, and encrypt the same bytes differently each time', async () => {
    const key = testDataKey();
    const plaintext = Buffer.from('MARKER-'.repeat(20_000));
    const first = (await encrypt(key, plaintext)).sealed;
    const second = (await encrypt(key, plaintext)).sealed;
    expect(first.includes('MARKER')).toBe(false);
    expect(first.equals(second)).toBe(false);
    expect(fileHeaderKeyId(first.subarray(0, FILE_HEADER_BYTES))).toBe(key.id);
    expect(() => fileHeaderKeyId(Buffer.from('%PDF-1.7'))).toThrow(UnsupportedContentFormatError);
  });

  it('know the digest only once the stream has ended', () => {
    expect(() => new FileEncryptor(testDataKey()).sha256).toThrow(/once the stream has ended/);
  });

  it('fail on any altered byte, having passed on only the chunks before it, all verified', async () => {
    const key = testDataKey();
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(1, CHUNK, CHUNK + 1, 3 * CHUNK + 1),
        fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }),
        fc.integer({ min: 1, max: 255 }),
        async (size, where, flip) => {
          const plaintext = randomBytes(size);
          const { sealed } = await encrypt(key, plaintext);
          const position = Math.floor(where * sealed.length);
          const altered = Buffer.from(sealed);
          altered[position] = (altered[position] ?? 0) ^ flip;
          const { plaintext: passedOn, error } = await decrypt(key, altered, {}, [4096]);
          if (position < 4) {
            expect(error).toBeInstanceOf(UnsupportedContentFormatError);
          } else if (position < 8) {
            // The chunk size: refused as out of range, or the header no longer authenticates the chunks.
            expect(error).toBeInstanceOf(ContentDecryptionError);
          } else {
            expect(error).toBeInstanceOf(position < 24 ? WrongDataKeyError : ContentTamperedError);
          }
          const verifiedChunks = position < FILE_HEADER_BYTES ? 0 : Math.floor((position - FILE_HEADER_BYTES) / SEALED_CHUNK_BYTES);
          expect(passedOn.equals(plaintext.subarray(0, verifiedChunks * CHUNK))).toBe(true);
        },
      ),
      { numRuns: 150 },
    );
  });

  it('fail when cut short anywhere, passing on only whole verified chunks; with the size known, as truncated', async () => {
    const key = testDataKey();
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(0, 1, CHUNK, CHUNK + 1, 3 * CHUNK),
        fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }),
        async (size, where) => {
          const plaintext = randomBytes(size);
          const { sealed } = await encrypt(key, plaintext);
          const cut = sealed.subarray(0, Math.floor(where * sealed.length));
          const blind = await decrypt(key, cut);
          expect(blind.error).toSatisfy((error) => error instanceof ContentTruncatedError || error instanceof ContentTamperedError);
          expect(blind.plaintext.length % CHUNK).toBe(0);
          expect(blind.plaintext.equals(plaintext.subarray(0, blind.plaintext.length))).toBe(true);
          const known = await decrypt(key, cut, { expectedPlaintextBytes: size });
          expect(known.error).toBeInstanceOf(ContentTruncatedError);
        },
      ),
      { numRuns: 150 },
    );
  });

  it('report a file cut at a chunk boundary, or inside its header or a tag, as truncated even without its size', async () => {
    const key = testDataKey();
    const { sealed } = await encrypt(key, randomBytes(3 * CHUNK + 1));
    for (const cut of [
      0,
      FILE_HEADER_BYTES - 1,
      FILE_HEADER_BYTES,
      FILE_HEADER_BYTES + 15,
      FILE_HEADER_BYTES + SEALED_CHUNK_BYTES,
      FILE_HEADER_BYTES + 2 * SEALED_CHUNK_BYTES,
    ]) {
      const { error } = await decrypt(key, sealed.subarray(0, cut));
      expect(error, `cut at ${cut}`).toBeInstanceOf(ContentTruncatedError);
    }
  });

  it('detect reordered, dropped and duplicated chunks, and chunks from another file', async () => {
    const key = testDataKey();
    const plaintext = randomBytes(3 * CHUNK + 1);
    const { sealed } = await encrypt(key, plaintext);
    const header = sealed.subarray(0, FILE_HEADER_BYTES);
    const [c0, c1, c2, c3] = sealedChunks(sealed) as [Buffer, Buffer, Buffer, Buffer];
    const other = sealedChunks((await encrypt(key, randomBytes(3 * CHUNK + 1))).sealed);
    const cases: [string, Buffer[], number][] = [
      ['first two swapped', [c1, c0, c2, c3], 0],
      ['middle two swapped', [c0, c2, c1, c3], 1],
      ['one dropped', [c0, c2, c3], 1],
      ['one duplicated', [c0, c1, c1, c2, c3], 2],
      ['the last one moved up', [c0, c3, c1, c2], 1],
      ['one from another file under the same key', [c0, other[1], c2, c3], 1],
    ];
    for (const [name, chunks, verified] of cases) {
      const { plaintext: passedOn, error } = await decrypt(key, Buffer.concat([header, ...chunks]));
      expect(error, name).toBeInstanceOf(ContentTamperedError);
      expect(passedOn.equals(plaintext.subarray(0, verified * CHUNK)), name).toBe(true);
    }
  });

  it('detect bytes added after the last chunk, at once when the size is known', async () => {
    const key = testDataKey();
    for (const size of [1, 2 * CHUNK]) {
      const plaintext = randomBytes(size);
      const { sealed } = await encrypt(key, plaintext);
      const last = sealedChunks(sealed).at(-1) as Buffer;
      for (const extra of [Buffer.from([0]), randomBytes(100), last]) {
        const extended = Buffer.concat([sealed, extra]);
        const blind = await decrypt(key, extended);
        expect(blind.error).toBeInstanceOf(ContentTamperedError);
        expect(blind.plaintext.length).toBeLessThan(size);
        const known = await decrypt(key, extended, { expectedPlaintextBytes: size });
        expect(known.error).toBeInstanceOf(ContentTamperedError);
        expect((known.error as Error).message).toMatch(/longer than/);
      }
      const { error } = await decrypt(key, Buffer.concat([sealed, last]));
      if (size === 2 * CHUNK) {
        expect((error as Error).message).toMatch(/bytes follow the last chunk/);
      }
    }
  });

  it('refuse another key before decrypting anything, and a key of the same id but other material at the first chunk', async () => {
    const key = testDataKey();
    const { sealed } = await encrypt(key, randomBytes(CHUNK + 10));
    const wrong = await decrypt(testDataKey({ userId: key.userId }), sealed);
    expect(wrong.error).toBeInstanceOf(WrongDataKeyError);
    expect(wrong.plaintext).toHaveLength(0);
    for (const impostor of [testDataKey({ id: key.id, userId: key.userId }), new DataKey(key.id, randomUUID(), key.secret)]) {
      const forged = await decrypt(impostor, sealed);
      expect(forged.error).toBeInstanceOf(ContentTamperedError);
      expect(forged.plaintext).toHaveLength(0);
    }
  });

  it('refuse bytes that are not an encrypted file, or of an unknown format version', async () => {
    const key = testDataKey();
    expect((await decrypt(key, Buffer.from('%PDF-1.7 '.repeat(100)))).error).toBeInstanceOf(UnsupportedContentFormatError);
    const { sealed } = await encrypt(key, randomBytes(10));
    sealed[3] = 3;
    expect(((await decrypt(key, sealed)).error as Error).message).toMatch(/format version 3 is not supported/);
  });

  it.each([
    ['encrypting', false],
    ['encrypting and decrypting', true],
  ])('hold a bounded amount however large the stream, a slow reader slowing the source (%s)', async (_name, decrypting) => {
    const key = testDataKey();
    const total = 48 * 1024 * 1024;
    const piece = randomBytes(1024 * 1024);
    let produced = 0;
    let consumed = 0;
    let mostInFlight = 0;
    const source = new Readable({
      read() {
        if (produced >= total) {
          this.push(null);
          return;
        }
        produced += piece.length;
        this.push(piece);
      },
    });
    const slowReader = new Writable({
      highWaterMark: 64 * 1024,
      write(chunk: Buffer, _encoding, callback) {
        consumed += chunk.length;
        mostInFlight = Math.max(mostInFlight, produced - consumed);
        setImmediate(callback);
      },
    });
    const stages = decrypting ? [new FileEncryptor(key), new FileDecryptor(key)] : [new FileEncryptor(key)];
    await pipeline([source, ...stages, slowReader]);
    expect(consumed).toBeGreaterThanOrEqual(total);
    expect(mostInFlight).toBeLessThan(8 * 1024 * 1024);
  });
});
