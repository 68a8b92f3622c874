import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { encryptedFileSize, FILE_CHUNK_BYTES, FILE_HEADER_BYTES, plaintextFileSize } from './file-format';

const BOUNDARY_SIZES = [0, 1, FILE_CHUNK_BYTES - 1, FILE_CHUNK_BYTES, FILE_CHUNK_BYTES + 1, 3 * FILE_CHUNK_BYTES, 3 * FILE_CHUNK_BYTES + 1];

describe('encrypted file sizes', () => {
  it('are the header, the plaintext and one tag per chunk (at least one chunk)', () => {
    expect(BOUNDARY_SIZES.map(encryptedFileSize)).toEqual([
      FILE_HEADER_BYTES + 16,
      FILE_HEADER_BYTES + 1 + 16,
      FILE_HEADER_BYTES + FILE_CHUNK_BYTES - 1 + 16,
      FILE_HEADER_BYTES + FILE_CHUNK_BYTES + 16,
      FILE_HEADER_BYTES + FILE_CHUNK_BYTES + 1 + 32,
      FILE_HEADER_BYTES + 3 * FILE_CHUNK_BYTES + 48,
      FILE_HEADER_BYTES + 3 * FILE_CHUNK_BYTES + 1 + 64,
    ]);
  });

  it('give the plaintext size back from the encrypted size, for any size up to a terabyte', () => {
    fc.assert(
      fc.property(fc.oneof(fc.constantFrom(...BOUNDARY_SIZES), fc.integer({ min: 0, max: 2 ** 40 })), (size) => {
        expect(plaintextFileSize(encryptedFileSize(size))).toBe(size);
      }),
    );
  });

  it('know which encrypted sizes no file can have', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 10 * FILE_CHUNK_BYTES }), (encrypted) => {
        const plaintext = plaintextFileSize(encrypted);
        if (plaintext !== null) {
          expect(encryptedFileSize(plaintext)).toBe(encrypted);
        }
      }),
    );
    expect(plaintextFileSize(FILE_HEADER_BYTES + 15)).toBeNull();
    expect(plaintextFileSize(FILE_HEADER_BYTES + FILE_CHUNK_BYTES + 16 + 16)).toBeNull();
    expect(() => encryptedFileSize(-1)).toThrow(RangeError);
  });
});
