import { MigrationInterface, QueryRunner, Table, TableForeignKey, TableIndex } from 'typeorm';
import { timestampColumns } from './timestamp-columns';

/**
 * Each user's data keys, stored wrapped under a server key (crypto-shredding: deleting a row makes
 * everything its key encrypted unreadable). `current_user_id` is the user id on the one key new
 * content uses, null on retired ones: its unique index lets two first uploads at once create only one.
 */
export class CreateDataKeys1764324900000 implements MigrationInterface {
  name = 'CreateDataKeys1764324900000';

  async up(queryRunner: QueryRunner): Promise<void> {
    const [createdAt] = timestampColumns(queryRunner);
    await queryRunner.createTable(
      new Table({
        name: 'data_keys',
        columns: [
          { name: 'id', type: 'varchar', length: '36', isPrimary: true },
          { name: 'user_id', type: 'varchar', length: '36' },
          { name: 'current_user_id', type: 'varchar', length: '36', isNullable: true },
          { name: 'server_key_id', type: 'varchar', length: '16' },
          { name: 'wrapped_key', type: 'blob' },
          { ...createdAt, name: 'created_at' },
          { name: 'retired_at', type: 'datetime', isNullable: true },
        ],
        indices: [
          new TableIndex({ name: 'IDX_data_keys_user', columnNames: ['user_id'] }),
          new TableIndex({ name: 'UQ_data_keys_current_user', columnNames: ['current_user_id'], isUnique: true }),
          new TableIndex({ name: 'IDX_data_keys_server_key', columnNames: ['server_key_id'] }),
        ],
        foreignKeys: [
          new TableForeignKey({
            name: 'FK_data_keys_user',
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
    await queryRunner.dropTable('data_keys');
  }
}
