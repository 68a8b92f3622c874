import { Column, Entity, Index, PrimaryColumn } from 'typeorm';

/**
 * The tombstone of a destroyed data key: which user's content it encrypted and when it was
 * destroyed (what a 410 for crypto-shredded content names). It holds nothing secret. The schema's
 * documentation: DataKeyRepository holds the SQL.
 */
@Entity({ name: 'destroyed_data_keys' })
@Index('IDX_destroyed_data_keys_user', ['userId'])
export class DestroyedDataKeyTombstone {
  @PrimaryColumn({ type: 'varchar', length: 36 })
  id!: string;

  @Column({ name: 'user_id', type: 'varchar', length: 36 })
  userId!: string;

  @Column({ name: 'destroyed_at', type: 'datetime' })
  destroyedAt!: Date;
}
