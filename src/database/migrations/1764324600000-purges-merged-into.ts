import { MigrationInterface, QueryRunner, TableColumn, TableIndex } from 'typeorm';

/**
 * A purge taken over by a later purge of the same user (deactivated, reactivated and deactivated
 * again before it completed) points at it, so that one's receipt can count what it deleted.
 */
export class PurgesMergedInto1764324600000 implements MigrationInterface {
  name = 'PurgesMergedInto1764324600000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.addColumn('purges', new TableColumn({ name: 'merged_into_id', type: 'varchar', length: '36', isNullable: true }));
    await queryRunner.createIndex('purges', new TableIndex({ name: 'IDX_purges_merged_into', columnNames: ['merged_into_id'] }));
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropIndex('purges', 'IDX_purges_merged_into');
    await queryRunner.dropColumn('purges', 'merged_into_id');
  }
}
