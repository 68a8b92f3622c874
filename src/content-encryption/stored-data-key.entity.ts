import { Column, CreateDateColumn, Entity, Index, JoinColumn, ManyToOne, PrimaryColumn } from 'typeorm';
import { User } from '../users/user.entity';

/**
 * A user's data key as stored: only wrapped (AES-256-GCM under a key derived from a server key),
 * never in the clear. Deleting the row destroys the key, and with it every copy of the content it
 * encrypted, wherever that copy lives. The schema's documentation: DataKeyRepository holds the SQL.
 */
@Entity({ name: 'data_keys' })
@Index('IDX_data_keys_user', ['userId'])
@Index('UQ_data_keys_current_user', ['currentUserId'], { unique: true })
@Index('IDX_data_keys_server_key', ['serverKeyId'])
export class StoredDataKey {
  @PrimaryColumn({ type: 'varchar', length: 36 })
  id!: string;

  @Column({ name: 'user_id', type: 'varchar', length: 36 })
  userId!: string;

  @ManyToOne(() => User, { onDelete: 'RESTRICT', onUpdate: 'NO ACTION' })
  @JoinColumn({ name: 'user_id', foreignKeyConstraintName: 'FK_data_keys_user' })
  user?: User;

  /** The user id while this is the key new content is encrypted under, else null: the unique index keeps one per user. */
  @Column({ name: 'current_user_id', type: 'varchar', length: 36, nullable: true })
  currentUserId!: string | null;

  /** The id of the server key it is wrapped under (ServerKey.id). */
  @Column({ name: 'server_key_id', type: 'varchar', length: 16 })
  serverKeyId!: string;

  /** nonce (12) | wrapped key (32) | tag (16). */
  @Column({ name: 'wrapped_key', type: 'blob' })
  wrappedKey!: Buffer;

  @CreateDateColumn({ name: 'created_at' })
  createdAt!: Date;

  /** When it stopped being the current key while content under it awaits a (held) purge. */
  @Column({ name: 'retired_at', type: 'datetime', nullable: true })
  retiredAt!: Date | null;
}
