import { Column, CreateDateColumn, Entity, Index, JoinColumn, ManyToOne, PrimaryColumn } from 'typeorm';
import { Organization } from '../organizations/organization.entity';
import { User } from '../users/user.entity';

@Entity({ name: 'api_keys' })
@Index('IDX_api_keys_organization', ['organizationId', 'createdAt'])
@Index('IDX_api_keys_owner', ['ownerUserId'])
export class ApiKey {
  @PrimaryColumn({ type: 'varchar', length: 36 })
  id!: string;

  @Column({ name: 'organization_id', type: 'varchar', length: 36 })
  organizationId!: string;

  @ManyToOne(() => Organization, { onDelete: 'RESTRICT', onUpdate: 'NO ACTION' })
  @JoinColumn({ name: 'organization_id', foreignKeyConstraintName: 'FK_api_keys_organization' })
  organization?: Organization;

  /** The administrator who created it; the key acts with their authority. */
  @Column({ name: 'owner_user_id', type: 'varchar', length: 36 })
  ownerUserId!: string;

  @ManyToOne(() => User, { onDelete: 'RESTRICT', onUpdate: 'NO ACTION' })
  @JoinColumn({ name: 'owner_user_id', foreignKeyConstraintName: 'FK_api_keys_owner' })
  owner?: User;

  /** Public identifier sent in `ss-api-key`. */
  @Index('UQ_api_keys_key', { unique: true })
  @Column({ type: 'varchar', length: 64 })
  key!: string;

  /** AES-256-GCM ciphertext of the signing secret (see CredentialCrypto). */
  @Column({ name: 'secret_ciphertext', type: 'varchar', length: 255 })
  secretCiphertext!: string;

  @Column({ type: 'varchar', length: 255, nullable: true })
  description!: string | null;

  @CreateDateColumn({ name: 'created_at' })
  createdAt!: Date;

  @Column({ name: 'last_used_at', type: 'datetime', nullable: true })
  lastUsedAt!: Date | null;

  @Column({ name: 'revoked_at', type: 'datetime', nullable: true })
  revokedAt!: Date | null;
}
