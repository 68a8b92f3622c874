import {
  Column,
  CreateDateColumn,
  Entity,
  Index,
  JoinColumn,
  ManyToOne,
  PrimaryColumn,
  UpdateDateColumn,
  VersionColumn,
} from 'typeorm';
import { Organization } from '../organizations/organization.entity';

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

  /** The uniqueness key: see `normalizeUserName`. */
  @Column({ name: 'user_name_normalized', type: 'varchar', length: 255 })
  userNameNormalized!: string;

  @Column({ type: 'varchar', length: 320, nullable: true })
  email!: string | null;

  @Column({ name: 'given_name', type: 'varchar', length: 255, nullable: true })
  givenName!: string | null;

  @Column({ name: 'family_name', type: 'varchar', length: 255, nullable: true })
  familyName!: string | null;

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

/**
 * userName is unique per organization without regard to case (RFC 7643 caseExact=false).
 * Unicode NFC first so that visually identical names collide too.
 */
export function normalizeUserName(userName: string): string {
  return userName.normalize('NFC').toLowerCase();
}
