import { Column, CreateDateColumn, Entity, Index, JoinColumn, ManyToOne, PrimaryGeneratedColumn } from 'typeorm';
import { User } from '../users/user.entity';

/** A file in a user's history; its bytes live in file storage under `storageKey`. */
@Entity({ name: 'files' })
@Index('IDX_files_user', ['userId', 'id'])
export class StoredFile {
  @PrimaryGeneratedColumn('increment', { type: 'integer' })
  id!: number;

  @Column({ name: 'organization_id', type: 'varchar', length: 36 })
  organizationId!: string;

  @Column({ name: 'user_id', type: 'varchar', length: 36 })
  userId!: string;

  @ManyToOne(() => User, { onDelete: 'RESTRICT', onUpdate: 'NO ACTION' })
  @JoinColumn({ name: 'user_id', foreignKeyConstraintName: 'FK_files_user' })
  user?: User;

  /** Sealed under `dataKeyId` (field-cipher.ts); the UTF-8 text itself on a legacy row (no key). */
  @Column({ type: 'blob' })
  name!: Buffer;

  /** The data key the name and bytes are encrypted under; null on rows written before content was encrypted. */
  @Column({ name: 'data_key_id', type: 'varchar', length: 36, nullable: true })
  dataKeyId!: string | null;

  @Column({ name: 'size_bytes', type: 'bigint' })
  sizeBytes!: string;

  /** Hex SHA-256 of the plaintext (what the client signed); `sizeBytes` is the plaintext's size too. */
  @Column({ type: 'varchar', length: 64 })
  sha256!: string;

  /** Where the storage port keeps the bytes, laid out per organization and user. */
  @Column({ name: 'storage_key', type: 'varchar', length: 512 })
  storageKey!: string;

  @CreateDateColumn({ name: 'created_at' })
  createdAt!: Date;
}
