import { createHash, Hash } from 'node:crypto';
import { PurgedItemKind } from './purged-item.entity';

/**
 * The receipt digest is the lowercase hex SHA-256 of one line per deleted item, `<kind>:<id>\n`:
 * first every file (`file:<id>`), then every message (`message:<id>`), each kind in ascending
 * numeric id order, ids in decimal without leading zeros. An empty purge digests the empty string.
 * An auditor holding the list of deleted ids recomputes it with, e.g.,
 * `(sed 's/^/file:/' files.txt; sed 's/^/message:/' messages.txt) | sha256sum` over sorted ids.
 */
export const RECEIPT_DIGEST_METHOD =
  'SHA-256 (lowercase hex) over the lines "file:<id>\\n" for every deleted file, then "message:<id>\\n" for every deleted message, ids ascending';

/** Kinds in the order the canonical form lists them. */
export const RECEIPT_KIND_ORDER: readonly PurgedItemKind[] = ['file', 'message'];

export class ReceiptDigest {
  private readonly hash: Hash = createHash('sha256');
  private last: { kind: PurgedItemKind; id: number } | null = null;

  /** Items must arrive in canonical order; anything else is a bug that would yield a wrong receipt. */
  add(kind: PurgedItemKind, id: number): void {
    if (this.last && compareItems(this.last, { kind, id }) >= 0) {
      throw new Error(`receipt items out of order: ${this.last.kind}:${this.last.id} before ${kind}:${id}`);
    }
    this.last = { kind, id };
    this.hash.update(`${kind}:${id}\n`, 'utf8');
  }

  digest(): string {
    return this.hash.digest('hex');
  }
}

export function receiptDigestOf(items: { kind: PurgedItemKind; id: number }[]): string {
  const digest = new ReceiptDigest();
  for (const item of [...items].sort(compareItems)) {
    digest.add(item.kind, item.id);
  }
  return digest.digest();
}

function compareItems(a: { kind: PurgedItemKind; id: number }, b: { kind: PurgedItemKind; id: number }): number {
  const byKind = RECEIPT_KIND_ORDER.indexOf(a.kind) - RECEIPT_KIND_ORDER.indexOf(b.kind);
  return byKind !== 0 ? byKind : a.id - b.id;
}
