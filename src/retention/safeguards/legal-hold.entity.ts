import { Column, Entity, Index, JoinColumn, OneToOne, PrimaryColumn } from 'typeorm';
import { User } from '../../users/user.entity';

/** A user under legal hold: they may be deactivated, but their purge waits (held) until the hold is lifted. */
@Entity({ name: 'legal_holds' })
@Index('IDX_legal_holds_organization', ['organizationId', 'placedAt'])
export class LegalHold {
  @PrimaryColumn({ name: 'user_id', type: 'varchar', length: 36 })
  userId!: string;

  @OneToOne(() => User, { onDelete: 'RESTRICT', onUpdate: 'NO ACTION' })
  @JoinColumn({ name: 'user_id', foreignKeyConstraintName: 'FK_legal_holds_user' })
  user?: User;

  @Column({ name: 'organization_id', type: 'varchar', length: 36 })
  organizationId!: string;

  @Column({ type: 'varchar', length: 500 })
  reason!: string;

  /** The administrator (user id) who placed it. */
  @Column({ name: 'placed_by', type: 'varchar', length: 36 })
  placedBy!: string;

  @Column({ name: 'placed_at', type: 'datetime', precision: 6 })
  placedAt!: Date;
}
