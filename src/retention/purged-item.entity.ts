import { Column, Entity, PrimaryColumn } from 'typeorm';

export type PurgedItemKind = 'file' | 'message';

/**
 * One item a purge deleted, written in the same transaction as the delete, so the receipt's
 * counts and digest survive crashes and re-runs and can be recomputed by an auditor.
 */
@Entity({ name: 'purged_items' })
export class PurgedItem {
  @PrimaryColumn({ name: 'purge_id', type: 'varchar', length: 36 })
  purgeId!: string;

  @PrimaryColumn({ type: 'varchar', length: 8 })
  kind!: PurgedItemKind;

  @PrimaryColumn({ name: 'item_id', type: 'integer' })
  itemId!: number;

  @Column({ name: 'size_bytes', type: 'bigint', default: 0 })
  sizeBytes!: string;
}
