import { createSecretKey, randomBytes, randomUUID } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ContentTamperedError, UnsupportedContentFormatError, WrongDataKeyError } from './content-errors';
import { DataKey } from './data-key';
import { openField, sealedFieldBytes, sealedFieldKeyId, sealField } from './field-cipher';

function testDataKey(overrides: { id?: string; userId?: string } = {}): DataKey {
  return new DataKey(overrides.id ?? randomUUID(), overrides.userId ?? randomUUID(), createSecretKey(randomBytes(32)));
}

describe('sealed fields', () => {
  it('round-trip any text, and cost exactly the planned overhead', () => {
    const key = testDataKey();
    fc.assert(
      fc.property(
        fc.string({ unit: 'grapheme', maxLength: 300 }),
        fc.constantFrom('message.subject', 'message.body', 'file.name'),
        (text, field) => {
          const sealed = sealField(key, field, text);
          expect(sealed.length).toBe(sealedFieldBytes(Buffer.byteLength(text, 'utf8')));
          expect(openField(key, field, sealed)).toBe(text);
        },
      ),
    );
  });

  it('hold no plaintext, name their key, and use a fresh nonce every time', () => {
    const key = testDataKey();
    const first = sealField(key, 'message.body', 'MARKER-plaintext-MARKER');
    const second = sealField(key, 'message.body', 'MARKER-plaintext-MARKER');
    expect(first.includes('MARKER')).toBe(false);
    expect(first.equals(second)).toBe(false);
    expect(sealedFieldKeyId(first)).toBe(key.id);
    expect(openField(key, 'message.body', new Uint8Array(first))).toBe('MARKER-plaintext-MARKER');
    // A value read from the middle of a larger buffer, as drivers may return it.
    const embedded = Buffer.concat([Buffer.from('xx'), first]).subarray(2);
    expect(openField(key, 'message.body', embedded)).toBe('MARKER-plaintext-MARKER');
  });

  it('do not open for another field, another user, or the same id with other key material', () => {
    const key = testDataKey();
    const sealed = sealField(key, 'message.subject', 'hello');
    expect(() => openField(key, 'message.body', sealed)).toThrow(ContentTamperedError);
    expect(() => openField(testDataKey({ id: key.id, userId: 'someone-else' }), 'message.subject', sealed)).toThrow(ContentTamperedError);
    expect(() => openField(testDataKey({ id: key.id, userId: key.userId }), 'message.subject', sealed)).toThrow(ContentTamperedError);
  });

  it('refuse another data key by its id before decrypting anything', () => {
    const sealed = sealField(testDataKey(), 'file.name', 'report.pdf');
    const other = testDataKey();
    expect(() => openField(other, 'file.name', sealed)).toThrow(WrongDataKeyError);
  });

  it('fail on any altered byte, never returning text', () => {
    const key = testDataKey();
    const sealed = sealField(key, 'message.body', 'a body of some length, with ünïcödé');
    fc.assert(
      fc.property(fc.integer({ min: 0, max: sealed.length - 1 }), fc.integer({ min: 1, max: 255 }), (position, flip) => {
        const altered = Buffer.from(sealed);
        altered[position] = (altered[position] ?? 0) ^ flip;
        let failure: unknown = null;
        try {
          openField(key, 'message.body', altered);
        } catch (error) {
          failure = error;
        }
        const expected = position === 0 ? UnsupportedContentFormatError : position <= 16 ? WrongDataKeyError : ContentTamperedError;
        expect(failure).toBeInstanceOf(expected);
      }),
    );
  });

  it('refuse values too short to be sealed, or of an unknown version', () => {
    const key = testDataKey();
    expect(() => openField(key, 'file.name', randomBytes(44))).toThrow(UnsupportedContentFormatError);
    expect(() => sealedFieldKeyId(Buffer.alloc(0))).toThrow(UnsupportedContentFormatError);
    const sealed = sealField(key, 'file.name', 'x');
    sealed[0] = 2;
    expect(() => openField(key, 'file.name', sealed)).toThrow(/format version 2 is not supported/);
  });
});
