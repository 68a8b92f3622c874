import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { EntityManager, Repository } from 'typeorm';
import { boundInteger, boundIntegerColumn } from '../database/bound-integer';
import { DeletedTotals } from './purge.repository';
import { ReceiptDigest } from './purge-receipt';
import { PurgedItem, PurgedItemKind } from './purged-item.entity';

const DIGEST_PAGE_SIZE = 1000;

/** The ledger of what each purge deleted: the source of its receipt. */
@Injectable()
export class PurgedItemRepository {
  constructor(@InjectRepository(PurgedItem) private readonly items: Repository<PurgedItem>) {}

  async record(manager: EntityManager, purgeId: string, kind: PurgedItemKind, deleted: { id: number; sizeBytes: string }[]): Promise<void> {
    if (deleted.length > 0) {
      await manager
        .createQueryBuilder()
        .insert()
        .into(PurgedItem)
        // Both bound, so every batch runs the same INSERT (see boundInteger); a bigint column comes
        // back from SQLite as a number, which TypeORM would write into the SQL.
        .values(deleted.map((item) => ({ purgeId, kind, itemId: boundIntegerColumn(item.id), sizeBytes: String(item.sizeBytes) })))
        // Nothing to read back: every column is given (and on SQLite the read-back query would list every id).
        .updateEntity(false)
        .execute();
    }
  }

  /**
   * A page of what `purgeIds` deleted together (a purge and those merged into it), in the receipt's
   * canonical order (files, then messages, ids ascending).
   */
  async page(purgeIds: readonly string[], offset: number, limit: number): Promise<{ items: PurgedItem[]; total: number }> {
    const [items, total] = await this.items
      .createQueryBuilder('item')
      .where('item.purge_id IN (:...purgeIds)', { purgeIds })
      .orderBy('item.kind', 'ASC')
      .addOrderBy('item.itemId', 'ASC')
      .skip(offset)
      .take(limit)
      .getManyAndCount();
    return { items, total };
  }

  /**
   * Counts, bytes and digest of what `purgeIds` deleted together, recomputed from the ledger so they
   * are exact after any crash or re-run. Each item is deleted once (its row is locked and must
   * still exist), so no item appears under two of them.
   */
  async receipt(purgeIds: readonly string[]): Promise<DeletedTotals & { digest: string }> {
    const digest = new ReceiptDigest();
    const totals: DeletedTotals = { files: 0, messages: 0, bytes: 0 };
    for (const kind of ['file', 'message'] as const) {
      let afterId = 0;
      for (;;) {
        const page = await this.items
          .createQueryBuilder('item')
          .select(['item.itemId', 'item.sizeBytes'])
          .where('item.purge_id IN (:...purgeIds) AND item.kind = :kind AND item.item_id > :afterId', { purgeIds, kind, afterId: boundInteger(afterId) })
          .orderBy('item.itemId', 'ASC')
          .limit(DIGEST_PAGE_SIZE)
          .getMany();
        for (const item of page) {
          digest.add(kind, item.itemId);
          totals.bytes += Number(item.sizeBytes);
        }
        totals[kind === 'file' ? 'files' : 'messages'] += page.length;
        if (page.length < DIGEST_PAGE_SIZE) {
          break;
        }
        afterId = page[page.length - 1].itemId;
      }
    }
    return { ...totals, digest: digest.digest() };
  }
}
