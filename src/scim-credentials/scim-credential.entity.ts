import { Column, CreateDateColumn, Entity, Index, JoinColumn, ManyToOne, PrimaryColumn } from 'typeorm';
import { ApiKey } from '../api-keys/api-key.entity';

/** The SCIM username/password of one API key. Regenerating replaces the row's secret and name. */
@Entity({ name: 'scim_credentials' })
export class ScimCredential {
  @PrimaryColumn({ type: 'varchar', length: 36 })
  id!: string;

  @Column({ name: 'organization_id', type: 'varchar', length: 36 })
  organizationId!: string;

  @Index('UQ_scim_credentials_api_key', { unique: true })
  @Column({ name: 'api_key_id', type: 'varchar', length: 36 })
  apiKeyId!: string;

  // One credential per key is enforced by UQ_scim_credentials_api_key.
  @ManyToOne(() => ApiKey, { onDelete: 'RESTRICT', onUpdate: 'NO ACTION' })
  @JoinColumn({ name: 'api_key_id', foreignKeyConstraintName: 'FK_scim_credentials_api_key' })
  apiKey?: ApiKey;

  @Index('UQ_scim_credentials_username', { unique: true })
  @Column({ type: 'varchar', length: 64 })
  username!: string;

  /** HMAC-SHA256 of the password under the server pepper, hex. */
  @Column({ name: 'password_hash', type: 'varchar', length: 64 })
  passwordHash!: string;

  @CreateDateColumn({ name: 'created_at' })
  createdAt!: Date;

  @Column({ name: 'last_used_at', type: 'datetime', nullable: true })
  lastUsedAt!: Date | null;

  @Column({ name: 'revoked_at', type: 'datetime', nullable: true })
  revokedAt!: Date | null;
}
