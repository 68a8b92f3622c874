import { MigrationInterface, QueryRunner, TableColumn } from 'typeorm';

const TIMING_COLUMNS = ['started_at', 'completed_at', 'next_attempt_at', 'lease_expires_at'];

/**
 * Purge timings keep microseconds, as requested_at does: on MySQL a plain datetime truncates to
 * the second, which could show a receipt started before it was requested.
 */
export class PurgeTimingsWithMicroseconds1764324300000 implements MigrationInterface {
  name = 'PurgeTimingsWithMicroseconds1764324300000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await changePrecision(queryRunner, 6);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await changePrecision(queryRunner, undefined);
  }
}

async function changePrecision(queryRunner: QueryRunner, precision: number | undefined): Promise<void> {
  const table = await queryRunner.getTable('purges');
  if (!table) {
    throw new Error('table purges is missing');
  }
  const changes = TIMING_COLUMNS.map((name) => {
    const oldColumn = table.findColumnByName(name);
    if (!oldColumn) {
      throw new Error(`column purges.${name} is missing`);
    }
    return { oldColumn, newColumn: new TableColumn({ name, type: 'datetime', precision, isNullable: true }) };
  });
  // One call, so SQLite rebuilds the table once.
  await queryRunner.changeColumns(table, changes);
}
