import { createHash, createSecretKey, randomBytes, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { describe, expect, it } from 'vitest';
import { ContentTamperedError, ContentTruncatedError, WrongDataKeyError } from './content-errors';
import { DataKey } from './data-key';
import { FileDecryptor, FileDecryptorOptions } from './file-decryptor';
import { FORMAT_1_LAYOUT, plaintextFileSize } from './file-format';

/**
 * Files written before format 2 (64 KiB chunks, no chunk size in the header) stay readable. The
 * fixture was written by the service's format 1 encryptor, under the key below, from the
 * plaintext below: three chunks, the last one partial.
 */
const FIXTURE = readFileSync(resolve(__dirname, '../../test/fixtures/content-encryption/format-1-three-chunks.bin'));
const FIXTURE_KEY = new DataKey(
  '7d3a6f0e-52b1-4c8e-9a4d-1f2e3c4b5a69',
  'c0ffee00-1234-4abc-8def-0123456789ab',
  createSecretKey(createHash('sha256').update('format 1 fixture data key').digest()),
);
const FIXTURE_SHA256 = '132b02448494858f5829ccc1083963839ebcaec29d1d26133bdeb428145218b8';
const CHUNK = 64 * 1024;
const HEADER = FORMAT_1_LAYOUT.headerBytes;
const SEALED = CHUNK + 16;

function fixturePlaintext(): Buffer {
  const plaintext = Buffer.alloc(2 * CHUNK + 1000);
  for (let i = 0; i < plaintext.length; i += 1) {
    plaintext[i] = (i * 7 + (i >> 8)) & 0xff;
  }
  return plaintext;
}

async function decrypt(
  sealed: Buffer,
  options: FileDecryptorOptions = {},
  readBytes = sealed.length,
  key = FIXTURE_KEY,
): Promise<{ plaintext: Buffer; error: unknown }> {
  const pieces: Buffer[] = [];
  for (let offset = 0; offset < sealed.length; offset += readBytes) {
    pieces.push(sealed.subarray(offset, offset + readBytes));
  }
  const out: Buffer[] = [];
  let error: unknown = null;
  const collector = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      out.push(chunk);
      callback();
    },
  });
  await pipeline(Readable.from(pieces), new FileDecryptor(key, options), collector).catch((failure: unknown) => {
    error = failure;
  });
  return { plaintext: Buffer.concat(out), error };
}

const chunksOf = (sealed: Buffer): Buffer[] => [0, 1, 2].map((i) => sealed.subarray(HEADER + i * SEALED, HEADER + (i + 1) * SEALED));

describe('files of format 1 (64 KiB chunks)', () => {
  it('decrypt to what was written, however they are read, with or without their recorded size', async () => {
    const plaintext = fixturePlaintext();
    expect(createHash('sha256').update(plaintext).digest('hex')).toBe(FIXTURE_SHA256);
    expect(FIXTURE.subarray(0, 4).toString('latin1')).toBe('SCF\x01');
    expect(plaintextFileSize(FIXTURE.length, FORMAT_1_LAYOUT)).toBe(plaintext.length);
    for (const readBytes of [FIXTURE.length, 1024 * 1024, CHUNK, 5, 4099]) {
      for (const options of [{}, { expectedPlaintextBytes: plaintext.length }]) {
        const { plaintext: decrypted, error } = await decrypt(FIXTURE, options, readBytes);
        expect(error).toBeNull();
        expect(decrypted.equals(plaintext)).toBe(true);
      }
    }
  });

  it('detect reordered, dropped and duplicated chunks (the index is bound in)', async () => {
    const header = FIXTURE.subarray(0, HEADER);
    const [c0, c1, c2] = chunksOf(FIXTURE) as [Buffer, Buffer, Buffer];
    for (const [name, chunks] of [
      ['swapped', [c1, c0, c2]],
      ['dropped', [c0, c2]],
      ['duplicated', [c0, c0, c1, c2]],
    ] as [string, Buffer[]][]) {
      const { plaintext, error } = await decrypt(Buffer.concat([header, ...chunks]));
      expect(error, name).toBeInstanceOf(ContentTamperedError);
      expect(plaintext.length, name).toBeLessThanOrEqual(CHUNK);
    }
  });

  it('detect a file cut after a whole chunk (the last-chunk flag is bound in), and cut anywhere when the size is known', async () => {
    const cutAfterChunk = await decrypt(FIXTURE.subarray(0, HEADER + 2 * SEALED));
    expect(cutAfterChunk.error).toBeInstanceOf(ContentTruncatedError);
    expect((cutAfterChunk.error as Error).message).toMatch(/which is not its last/);
    expect(cutAfterChunk.plaintext.equals(fixturePlaintext().subarray(0, CHUNK))).toBe(true);
    for (const cut of [0, HEADER - 1, HEADER + 100, HEADER + SEALED, FIXTURE.length - 1]) {
      const known = await decrypt(FIXTURE.subarray(0, cut), { expectedPlaintextBytes: fixturePlaintext().length });
      expect(known.error, `cut at ${cut}`).toBeInstanceOf(ContentTruncatedError);
    }
  });

  it('detect a flipped bit in any chunk, and refuse another key', async () => {
    for (const position of [HEADER + 10, HEADER + SEALED + 5, FIXTURE.length - 1]) {
      const altered = Buffer.from(FIXTURE);
      altered[position] = (altered[position] ?? 0) ^ 1;
      expect((await decrypt(altered)).error, `byte ${position}`).toBeInstanceOf(ContentTamperedError);
    }
    const other = new DataKey(randomUUID(), FIXTURE_KEY.userId, createSecretKey(randomBytes(32)));
    expect((await decrypt(FIXTURE, {}, FIXTURE.length, other)).error).toBeInstanceOf(WrongDataKeyError);
  });
});
