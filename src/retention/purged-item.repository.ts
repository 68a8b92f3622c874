import { Injectable } from '@nestjs/common';
import { Database } from '../database/database';
import { inListPlaceholders, paddedInList } from '../database/padded-in-list';
import { readInteger } from '../database/sql-values';
import { statementFamily } from '../database/statement';
import { ReceiptDigest } from './purge-receipt';
import { DeletedTotals } from './purge.repository';
import { PurgedItemKind } from './purged-item.entity';

/** One item a purge deleted, as its ledger holds it. */
export type PurgedItemRecord = {
  readonly purgeId: string;
  readonly kind: PurgedItemKind;
  readonly itemId: number;
  readonly sizeBytes: number;
};

const DIGEST_PAGE_SIZE = 1000;
/**
 * A batch's ledger rows go in with multi-row INSERTs of power-of-two sizes up to this one (a batch
 * of 100 takes three), so a batch of any size runs one of a few statements.
 */
const MAX_ROWS_PER_INSERT = 256;

const INSERT = statementFamily(
  'retention.ledger.insert',
  (rows) =>
    `INSERT INTO purged_items (purge_id, kind, item_id, size_bytes) VALUES ${Array.from({ length: Number(rows) }, () => '(?, ?, ?, ?)').join(', ')}`,
);
// The purge ids are those of one purge and the purges merged into it (see paddedInList).
const PAGE = statementFamily<string, { purge_id: string; kind: string; item_id: unknown; size_bytes: unknown }>(
  'retention.ledger.page',
  (shape) =>
    `SELECT purge_id, kind, item_id, size_bytes FROM purged_items WHERE purge_id IN (${inListPlaceholders(shape)}) ORDER BY kind ASC, item_id ASC LIMIT ? OFFSET ?`,
);
const TOTAL = statementFamily<string, { total: unknown }>(
  'retention.ledger.total',
  (shape) => `SELECT COUNT(*) AS total FROM purged_items WHERE purge_id IN (${inListPlaceholders(shape)})`,
);
const DIGEST_PAGE = statementFamily<string, { item_id: unknown; size_bytes: unknown }>(
  'retention.ledger.digestPage',
  (shape) =>
    `SELECT item_id, size_bytes FROM purged_items WHERE purge_id IN (${inListPlaceholders(shape)}) AND kind = ? AND item_id > ? ORDER BY item_id ASC LIMIT ?`,
);

/** The ledger of what each purge deleted: the source of its receipt. */
@Injectable()
export class PurgedItemRepository {
  constructor(private readonly database: Database) {}

  /** Inside the batch transaction that deleted the items. */
  async record(purgeId: string, kind: PurgedItemKind, deleted: readonly { id: number; sizeBytes: number }[]): Promise<void> {
    for (let start = 0; start < deleted.length;) {
      let rows = MAX_ROWS_PER_INSERT;
      while (rows > deleted.length - start) {
        rows /= 2;
      }
      const values = deleted.slice(start, start + rows).flatMap((item) => [purgeId, kind, item.id, item.sizeBytes]);
      await this.database.run(INSERT.of(String(rows)), values);
      start += rows;
    }
  }

  /**
   * A page of what `purgeIds` deleted together (a purge and those merged into it), in the receipt's
   * canonical order (files, then messages, ids ascending).
   */
  async page(purgeIds: readonly string[], offset: number, limit: number): Promise<{ items: PurgedItemRecord[]; total: number }> {
    const padded = paddedInList(purgeIds);
    const rows = await this.database.rows(PAGE.of(padded.shape), [...padded.values, limit, offset]);
    const total = await this.database.first(TOTAL.of(padded.shape), padded.values);
    const items = rows.map((row) => ({
      purgeId: row.purge_id,
      kind: row.kind as PurgedItemKind,
      itemId: readInteger(row.item_id),
      sizeBytes: readInteger(row.size_bytes),
    }));
    return { items, total: readInteger(total?.total ?? 0) };
  }

  /**
   * Counts, bytes and digest of what `purgeIds` deleted together, recomputed from the ledger so they
   * are exact after any crash or re-run. Each item is deleted once (its row is locked and must
   * still exist), so no item appears under two of them.
   */
  async receipt(purgeIds: readonly string[]): Promise<DeletedTotals & { digest: string }> {
    const padded = paddedInList(purgeIds);
    const statement = DIGEST_PAGE.of(padded.shape);
    const digest = new ReceiptDigest();
    const totals: DeletedTotals = { files: 0, messages: 0, bytes: 0 };
    for (const kind of ['file', 'message'] as const) {
      let afterId = 0;
      for (;;) {
        const page = await this.database.rows(statement, [...padded.values, kind, afterId, DIGEST_PAGE_SIZE]);
        for (const item of page) {
          afterId = readInteger(item.item_id);
          digest.add(kind, afterId);
          totals.bytes += readInteger(item.size_bytes);
        }
        totals[kind === 'file' ? 'files' : 'messages'] += page.length;
        if (page.length < DIGEST_PAGE_SIZE) {
          break;
        }
      }
    }
    return { ...totals, digest: digest.digest() };
  }
}
