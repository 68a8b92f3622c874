import { MigrationInterface, QueryRunner, Table, TableColumn, TableForeignKey, TableIndex } from 'typeorm';

/**
 * Purge safeguards (issue 16). Per-organization purge policies (no row: the defaults), legal holds
 * (one per user), and what a purge needs to wait: why it is held, when a scheduled one may run,
 * when it was cancelled (reactivation) or released, and by whom.
 * A deactivation locks its organization's policy row to count the organization's recent purges,
 * so the row is created (with the defaults) before the first deactivation needs it.
 */
export class PurgeSafeguards1764411600000 implements MigrationInterface {
  name = 'PurgeSafeguards1764411600000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.addColumns('purges', [
      new TableColumn({ name: 'hold_reason', type: 'varchar', length: '32', isNullable: true }),
      new TableColumn({ name: 'run_after', type: 'datetime', precision: 6, isNullable: true }),
      new TableColumn({ name: 'cancelled_at', type: 'datetime', precision: 6, isNullable: true }),
      new TableColumn({ name: 'released_at', type: 'datetime', precision: 6, isNullable: true }),
      new TableColumn({ name: 'released_by', type: 'varchar', length: '36', isNullable: true }),
    ]);
    await queryRunner.createTable(
      new Table({
        name: 'purge_policies',
        columns: [
          { name: 'organization_id', type: 'varchar', length: '36', isPrimary: true },
          { name: 'grace_seconds', type: 'integer', default: 0 },
          { name: 'breaker_enabled', type: 'boolean', default: 1 },
          { name: 'breaker_threshold', type: 'integer', default: 25 },
          { name: 'breaker_window_seconds', type: 'integer', default: 600 },
          { name: 'updated_at', type: 'datetime', precision: 6, isNullable: true },
          { name: 'updated_by', type: 'varchar', length: '36', isNullable: true },
        ],
        foreignKeys: [
          new TableForeignKey({
            name: 'FK_purge_policies_organization',
            columnNames: ['organization_id'],
            referencedTableName: 'organizations',
            referencedColumnNames: ['id'],
            onDelete: 'RESTRICT',
            onUpdate: 'NO ACTION',
          }),
        ],
      }),
    );
    await queryRunner.createTable(
      new Table({
        name: 'legal_holds',
        columns: [
          { name: 'user_id', type: 'varchar', length: '36', isPrimary: true },
          { name: 'organization_id', type: 'varchar', length: '36' },
          { name: 'reason', type: 'varchar', length: '500' },
          { name: 'placed_by', type: 'varchar', length: '36' },
          { name: 'placed_at', type: 'datetime', precision: 6 },
        ],
        indices: [new TableIndex({ name: 'IDX_legal_holds_organization', columnNames: ['organization_id', 'placed_at'] })],
        foreignKeys: [
          new TableForeignKey({
            name: 'FK_legal_holds_user',
            columnNames: ['user_id'],
            referencedTableName: 'users',
            referencedColumnNames: ['id'],
            onDelete: 'RESTRICT',
            onUpdate: 'NO ACTION',
          }),
        ],
      }),
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropTable('legal_holds');
    await queryRunner.dropTable('purge_policies');
    await queryRunner.dropColumns('purges', ['released_by', 'released_at', 'cancelled_at', 'run_after', 'hold_reason']);
  }
}
