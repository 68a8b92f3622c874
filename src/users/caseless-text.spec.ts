import fc from 'fast-check';
import { caseFold } from 'unicode-case-folding';
import { describe, expect, it } from 'vitest';
import { DomainError } from '../common/domain-error';
import { foldCase, normalizeUserName, normalizeUserNamePart, userNameKeyForNewUser } from './caseless-text';

describe('normalizeUserName', () => {
  it.each([
    ['case', 'Alice@Example.COM', 'alice@example.com'],
    ['NFC: a decomposed accent', 'Jose\u0301', 'josé'],
    ['full case folding: ß', 'Straße', 'strasse'],
    ['full case folding: capital sharp s', 'STRAẞE', 'strasse'],
    ['full case folding: a ligature', 'ﬁle', 'file'],
    ['the Kelvin sign', '\u212A', 'k'],
    ['Greek final sigma', 'ΟΔΟΣ', 'οδοσ'],
    ['Cherokee, which folds to upper case', 'ꭰ', 'Ꭰ'],
    ['a trailing space', 'alice@x ', 'alice@x'],
    ['leading and trailing white space of any kind', '\u3000\talice@x\u00A0\u2003', 'alice@x'],
    ['a zero-width space', 'ali\u200Bce@x', 'alice@x'],
    ['a soft hyphen', 'ali\u00ADce@x', 'alice@x'],
    ['a variation selector beyond the BMP', 'alice@x\u{E0100}', 'alice@x'],
    ['a zero-width joiner', 'a\u200Db', 'ab'],
  ])('merges %s', (_case, userName, key) => {
    expect(normalizeUserName(userName)).toBe(key);
  });

  it.each([
    ['an accent', 'alicé@x', 'alice@x'],
    ['full-width letters (a compatibility form, not a case)', 'ＡＬＩＣＥ@x', 'alice@x'],
    ['the dotted capital I, which folds to i and a combining dot', 'İvan', 'ivan'],
    ['the dotless i, which has no folding', 'ıvan', 'ivan'],
    ['white space inside', 'al ice', 'alice'],
    ['a no-break space inside', 'al\u00A0ice', 'al ice'],
  ])('keeps %s distinct', (_case, a, b) => {
    expect(normalizeUserName(a)).not.toBe(normalizeUserName(b));
  });

  it('folds İ as CaseFolding.txt does (status F), not the Turkic way', () => {
    expect(normalizeUserName('İVAN')).toBe('i\u0307van');
    expect(normalizeUserName('İVAN')).toBe(normalizeUserName('i\u0307van'));
    expect(normalizeUserName('IVAN')).toBe('ivan');
  });

  it('is the same for canonically equivalent inputs', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme', maxLength: 20 }), (text) => {
        expect(normalizeUserName(text.normalize('NFD'))).toBe(normalizeUserName(text.normalize('NFC')));
      }),
    );
  });

  it('gives a key that never holds an ASCII capital, so the #MIGRATING: placeholder can never be a key', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 30 }), (text) => {
        expect(normalizeUserName(text)).not.toMatch(/[A-Z]/);
      }),
    );
  });
});

describe('normalizeUserNamePart', () => {
  it('folds a piece of a userName as the key is folded, keeping white space at its ends', () => {
    expect(normalizeUserNamePart(' Straße\u200B ')).toBe(' strasse ');
  });
});

describe('foldCase', () => {
  it('takes a shortcut for ASCII that gives what CaseFolding.txt gives', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary-ascii', maxLength: 40 }), (text) => {
        expect(foldCase(text)).toBe(caseFold(text));
      }),
    );
  });

  it('folds names and emails without touching white space or invisible characters', () => {
    expect(foldCase('ÉLODIE Núñez ')).toBe('élodie núñez ');
    expect(foldCase('a\u200Bb')).toBe('a\u200Bb');
  });
});

describe('userNameKeyForNewUser', () => {
  it('refuses a userName with nothing visible in it', () => {
    expect(() => userNameKeyForNewUser(' \u200B\u3000')).toThrow(DomainError);
    expect(() => userNameKeyForNewUser(' \u200B\u3000')).toThrow(/userName must contain a visible character/);
  });

  it('refuses a userName whose key would not fit the column once folded', () => {
    expect(userNameKeyForNewUser('ß'.repeat(127))).toBe('ss'.repeat(127));
    expect(() => userNameKeyForNewUser('ß'.repeat(128))).toThrow(/at most 255 characters once case-folded/);
    expect(userNameKeyForNewUser('😀'.repeat(255))).toHaveLength(510);
  });
});
