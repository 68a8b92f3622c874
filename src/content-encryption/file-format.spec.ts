import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { UnsupportedContentFormatError } from './content-errors';
import {
  encryptedFileSize,
  FILE_CHUNK_BYTES,
  FILE_LAYOUT,
  FileLayout,
  fileLayout,
  format2Layout,
  FORMAT_1_LAYOUT,
  MAX_FILE_CHUNK_BYTES,
  MIN_FILE_CHUNK_BYTES,
  plaintextFileSize,
} from './file-format';

const LAYOUTS: [string, FileLayout][] = [
  ['format 2, the chunks written now', FILE_LAYOUT],
  ['format 2, small chunks', format2Layout(MIN_FILE_CHUNK_BYTES)],
  ['format 1 (64 KiB chunks)', FORMAT_1_LAYOUT],
];

describe.each(LAYOUTS)('encrypted file sizes in %s', (_name, layout) => {
  const { headerBytes: header, chunkBytes: chunk } = layout;
  const boundarySizes = [0, 1, chunk - 1, chunk, chunk + 1, 3 * chunk, 3 * chunk + 1];

  it('are the header, the plaintext and one tag per chunk (at least one chunk)', () => {
    expect(boundarySizes.map((size) => encryptedFileSize(size, layout))).toEqual([
      header + 16,
      header + 1 + 16,
      header + chunk - 1 + 16,
      header + chunk + 16,
      header + chunk + 1 + 32,
      header + 3 * chunk + 48,
      header + 3 * chunk + 1 + 64,
    ]);
  });

  it('give the plaintext size back from the encrypted size, for any size up to a terabyte', () => {
    fc.assert(
      fc.property(fc.oneof(fc.constantFrom(...boundarySizes), fc.integer({ min: 0, max: 2 ** 40 })), (size) => {
        expect(plaintextFileSize(encryptedFileSize(size, layout), layout)).toBe(size);
      }),
    );
  });

  it('know which encrypted sizes no file can have', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 10 * chunk }), (encrypted) => {
        const plaintext = plaintextFileSize(encrypted, layout);
        if (plaintext !== null) {
          expect(encryptedFileSize(plaintext, layout)).toBe(encrypted);
        }
      }),
    );
    expect(plaintextFileSize(header + 15, layout)).toBeNull();
    expect(plaintextFileSize(header + chunk + 16 + 16, layout)).toBeNull();
    expect(() => encryptedFileSize(-1, layout)).toThrow(RangeError);
  });
});

describe('file layouts', () => {
  it('are what new files are written in by default: format 2 with large chunks', () => {
    expect(encryptedFileSize(0)).toBe(encryptedFileSize(0, FILE_LAYOUT));
    expect(FILE_LAYOUT.chunkBytes).toBe(FILE_CHUNK_BYTES);
    expect(FILE_LAYOUT.headerBytes).toBe(FORMAT_1_LAYOUT.headerBytes + 4);
  });

  it('are read from the first bytes of a file: the format, and in format 2 the chunk size', () => {
    expect(fileLayout(Buffer.from('SCF\x01', 'latin1'))).toEqual(FORMAT_1_LAYOUT);
    expect(fileLayout(Buffer.from([0x53, 0x43, 0x46, 2, 0, 0x10, 0, 0]))).toEqual(format2Layout(1024 * 1024));
  });

  it('refuse other formats and chunk sizes a reader would have to buffer too much (or too little) of', () => {
    const format2 = (chunkBytes: number): Buffer => {
      const start = Buffer.from([0x53, 0x43, 0x46, 2, 0, 0, 0, 0]);
      start.writeUInt32BE(chunkBytes, 4);
      return start;
    };
    for (const start of [
      Buffer.from('%PDF-1.7'),
      Buffer.from('SCF\x03\x00\x01\x00\x00', 'latin1'),
      format2(MAX_FILE_CHUNK_BYTES + 1),
      format2(MIN_FILE_CHUNK_BYTES - 1),
      format2(0),
    ]) {
      expect(() => fileLayout(start), start.toString('hex')).toThrow(UnsupportedContentFormatError);
    }
    expect(() => format2Layout(MAX_FILE_CHUNK_BYTES + 1)).toThrow(RangeError);
  });
});
