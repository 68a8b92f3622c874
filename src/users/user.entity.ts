import { Column, CreateDateColumn, Entity, Index, JoinColumn, ManyToOne, PrimaryColumn, UpdateDateColumn, VersionColumn } from 'typeorm';
import { Organization } from '../organizations/organization.entity';

// Three times the source columns: full case folding turns one character into at most three.
const FOLDED_NAME_LENGTH = 3 * 255;
const FOLDED_EMAIL_LENGTH = 3 * 320;

export const USER_ROLES = ['user', 'admin'] as const;
export type UserRole = (typeof USER_ROLES)[number];

@Entity({ name: 'users' })
@Index('UQ_users_organization_user_name', ['organizationId', 'userNameNormalized'], { unique: true })
@Index('IDX_users_organization_external_id', ['organizationId', 'externalId'])
export class User {
  @PrimaryColumn({ type: 'varchar', length: 36 })
  id!: string;

  @Column({ name: 'organization_id', type: 'varchar', length: 36 })
  organizationId!: string;

  @ManyToOne(() => Organization, { onDelete: 'RESTRICT', onUpdate: 'NO ACTION' })
  @JoinColumn({ name: 'organization_id', foreignKeyConstraintName: 'FK_users_organization' })
  organization?: Organization;

  /** As the identity provider sent it; echoed back unchanged. */
  @Column({ name: 'user_name', type: 'varchar', length: 255 })
  userName!: string;

  /**
   * The uniqueness key (`normalizeUserName`), compared byte for byte: binary collation on MySQL
   * (migration UserNameComparedByteForByte), SQLite's default BINARY. A SCIM DELETE replaces it
   * with `#DELETED:<id>` (`#deleted:<id>` before that migration) to free the userName.
   */
  @Column({ name: 'user_name_normalized', type: 'varchar', length: 255 })
  userNameNormalized!: string;

  @Column({ type: 'varchar', length: 320, nullable: true })
  email!: string | null;

  @Column({ name: 'given_name', type: 'varchar', length: 255, nullable: true })
  givenName!: string | null;

  @Column({ name: 'family_name', type: 'varchar', length: 255, nullable: true })
  familyName!: string | null;

  // What SCIM filters compare (`foldCase` of the column above, kept in step by every write):
  // SQLite's LOWER() folds ASCII only.
  @Column({ name: 'email_folded', type: 'varchar', length: FOLDED_EMAIL_LENGTH, nullable: true })
  emailFolded!: string | null;

  @Column({ name: 'given_name_folded', type: 'varchar', length: FOLDED_NAME_LENGTH, nullable: true })
  givenNameFolded!: string | null;

  @Column({ name: 'family_name_folded', type: 'varchar', length: FOLDED_NAME_LENGTH, nullable: true })
  familyNameFolded!: string | null;

  @Column({ name: 'external_id', type: 'varchar', length: 255, nullable: true })
  externalId!: string | null;

  @Column({ type: 'boolean', default: true })
  active!: boolean;

  @Column({ type: 'varchar', length: 16, default: 'user' })
  role!: UserRole;

  @CreateDateColumn({ name: 'created_at' })
  createdAt!: Date;

  @UpdateDateColumn({ name: 'updated_at' })
  updatedAt!: Date;

  @VersionColumn({ default: 1 })
  version!: number;

  /** Set by a SCIM DELETE: the row stays for its purge and history, invisible to every read. */
  @Column({ name: 'deleted_at', type: 'datetime', nullable: true })
  deletedAt!: Date | null;
}
