import { QueryRunner, TableColumnOptions } from 'typeorm';

/**
 * created_at / updated_at exactly as TypeORM's Create/UpdateDateColumn expect them on the
 * running dialect (datetime(6) with CURRENT_TIMESTAMP(6), refreshed on update, on MySQL, datetime('now') on SQLite),
 * so that one migration yields the schema the entities describe on both.
 */
export function timestampColumns(queryRunner: QueryRunner): TableColumnOptions[] {
  const types = queryRunner.connection.driver.mappedDataTypes;
  const dialect = queryRunner.connection.options.type;
  const refreshesOnUpdate = dialect === 'mysql' || dialect === 'mariadb';
  return [
    {
      name: 'created_at',
      type: String(types.createDate),
      precision: types.createDatePrecision,
      default: types.createDateDefault,
    },
    {
      name: 'updated_at',
      type: String(types.updateDate),
      precision: types.updateDatePrecision,
      default: types.updateDateDefault,
      onUpdate: refreshesOnUpdate ? types.updateDateDefault : undefined,
    },
  ];
}
