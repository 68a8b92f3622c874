import { Column, Entity, JoinColumn, OneToOne, PrimaryColumn } from 'typeorm';
import { Organization } from '../../organizations/organization.entity';

/** An organization's purge policy; an organization without a row has the defaults (DEFAULT_PURGE_POLICY). */
@Entity({ name: 'purge_policies' })
export class PurgePolicyEntity {
  @PrimaryColumn({ name: 'organization_id', type: 'varchar', length: 36 })
  organizationId!: string;

  @OneToOne(() => Organization, { onDelete: 'RESTRICT', onUpdate: 'NO ACTION' })
  @JoinColumn({ name: 'organization_id', foreignKeyConstraintName: 'FK_purge_policies_organization' })
  organization?: Organization;

  @Column({ name: 'grace_seconds', type: 'integer', default: 0 })
  graceSeconds!: number;

  @Column({ name: 'breaker_enabled', type: 'boolean', default: true })
  breakerEnabled!: boolean;

  @Column({ name: 'breaker_threshold', type: 'integer', default: 25 })
  breakerThreshold!: number;

  @Column({ name: 'breaker_window_seconds', type: 'integer', default: 600 })
  breakerWindowSeconds!: number;

  @Column({ name: 'updated_at', type: 'datetime', precision: 6, nullable: true })
  updatedAt!: Date | null;

  @Column({ name: 'updated_by', type: 'varchar', length: 36, nullable: true })
  updatedBy!: string | null;
}
