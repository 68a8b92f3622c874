import { Column, CreateDateColumn, Entity, Index, JoinColumn, ManyToOne, PrimaryGeneratedColumn } from 'typeorm';
import { DialectBlobColumn, SEALED_BODY_MYSQL_TYPE } from '../database/sealed-column';
import { User } from '../users/user.entity';

/** A message in a user's history. Ids increase, which is what a purge's cutoff relies on. */
@Entity({ name: 'messages' })
@Index('IDX_messages_user', ['userId', 'id'])
export class Message {
  @PrimaryGeneratedColumn('increment', { type: 'integer' })
  id!: number;

  @Column({ name: 'organization_id', type: 'varchar', length: 36 })
  organizationId!: string;

  @Column({ name: 'user_id', type: 'varchar', length: 36 })
  userId!: string;

  @ManyToOne(() => User, { onDelete: 'RESTRICT', onUpdate: 'NO ACTION' })
  @JoinColumn({ name: 'user_id', foreignKeyConstraintName: 'FK_messages_user' })
  user?: User;

  /** Sealed under `dataKeyId` (field-cipher.ts); the UTF-8 text itself on a legacy row (no key). */
  @Column({ type: 'blob' })
  subject!: Buffer;

  @DialectBlobColumn({ sqlite: 'blob', mysql: SEALED_BODY_MYSQL_TYPE })
  body!: Buffer;

  /** The data key the content is sealed under; null on rows written before content was encrypted. */
  @Column({ name: 'data_key_id', type: 'varchar', length: 36, nullable: true })
  dataKeyId!: string | null;

  @CreateDateColumn({ name: 'created_at' })
  createdAt!: Date;
}
