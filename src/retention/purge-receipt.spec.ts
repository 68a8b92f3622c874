import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { ReceiptDigest, receiptDigestOf } from './purge-receipt';

const sha256 = (text: string): string => createHash('sha256').update(text, 'utf8').digest('hex');

describe('receipt digest', () => {
  it('is SHA-256 over "file:<id>" lines then "message:<id>" lines, ids ascending numerically', () => {
    const items = [
      { kind: 'message' as const, id: 3 },
      { kind: 'file' as const, id: 10 },
      { kind: 'file' as const, id: 2 },
      { kind: 'message' as const, id: 1 },
    ];
    expect(receiptDigestOf(items)).toBe(sha256('file:2\nfile:10\nmessage:1\nmessage:3\n'));
  });

  it('digests the empty string for a purge that deleted nothing', () => {
    expect(receiptDigestOf([])).toBe(sha256(''));
  });

  it('refuses items out of canonical order instead of producing a wrong receipt', () => {
    const digest = new ReceiptDigest();
    digest.add('message', 1);
    expect(() => digest.add('file', 2)).toThrow(/out of order/);
    const repeated = new ReceiptDigest();
    repeated.add('file', 5);
    expect(() => repeated.add('file', 5)).toThrow(/out of order/);
  });
});
