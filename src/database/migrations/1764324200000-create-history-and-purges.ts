import { MigrationInterface, QueryRunner, Table, TableForeignKey, TableIndex } from 'typeorm';
import { timestampColumns } from './timestamp-columns';

export class CreateHistoryAndPurges1764324200000 implements MigrationInterface {
  name = 'CreateHistoryAndPurges1764324200000';

  async up(queryRunner: QueryRunner): Promise<void> {
    const [createdAt, updatedAt] = timestampColumns(queryRunner);
    const versionType = queryRunner.connection.driver.mappedDataTypes.version.toString();
    await queryRunner.createTable(
      new Table({
        name: 'messages',
        columns: [
          { name: 'id', type: 'integer', isPrimary: true, isGenerated: true, generationStrategy: 'increment' },
          { name: 'organization_id', type: 'varchar', length: '36' },
          { name: 'user_id', type: 'varchar', length: '36' },
          { name: 'subject', type: 'varchar', length: '255' },
          { name: 'body', type: 'text' },
          { ...createdAt, name: 'created_at' },
        ],
        indices: [new TableIndex({ name: 'IDX_messages_user', columnNames: ['user_id', 'id'] })],
        foreignKeys: [userForeignKey('FK_messages_user')],
      }),
    );
    await queryRunner.createTable(
      new Table({
        name: 'files',
        columns: [
          { name: 'id', type: 'integer', isPrimary: true, isGenerated: true, generationStrategy: 'increment' },
          { name: 'organization_id', type: 'varchar', length: '36' },
          { name: 'user_id', type: 'varchar', length: '36' },
          { name: 'name', type: 'varchar', length: '255' },
          { name: 'size_bytes', type: 'bigint' },
          { name: 'sha256', type: 'varchar', length: '64' },
          { name: 'storage_key', type: 'varchar', length: '512' },
          { ...createdAt, name: 'created_at' },
        ],
        indices: [new TableIndex({ name: 'IDX_files_user', columnNames: ['user_id', 'id'] })],
        foreignKeys: [userForeignKey('FK_files_user')],
      }),
    );
    await queryRunner.createTable(
      new Table({
        name: 'purges',
        columns: [
          { name: 'id', type: 'varchar', length: '36', isPrimary: true },
          { name: 'organization_id', type: 'varchar', length: '36' },
          { name: 'user_id', type: 'varchar', length: '36' },
          { name: 'user_name', type: 'varchar', length: '255' },
          { name: 'state', type: 'varchar', length: '16', default: "'pending'" },
          { name: 'message_cutoff_id', type: 'integer' },
          { name: 'file_cutoff_id', type: 'integer' },
          { name: 'messages_total', type: 'integer', default: 0 },
          { name: 'files_total', type: 'integer', default: 0 },
          { name: 'messages_deleted', type: 'integer', default: 0 },
          { name: 'files_deleted', type: 'integer', default: 0 },
          { name: 'bytes_deleted', type: 'bigint', default: 0 },
          { name: 'receipt_digest', type: 'varchar', length: '64', isNullable: true },
          { name: 'attempts', type: 'integer', default: 0 },
          { name: 'last_error', type: 'varchar', length: '1000', isNullable: true },
          { ...createdAt, name: 'requested_at' },
          { name: 'started_at', type: 'datetime', isNullable: true },
          { name: 'completed_at', type: 'datetime', isNullable: true },
          { name: 'next_attempt_at', type: 'datetime', isNullable: true },
          { name: 'lease_expires_at', type: 'datetime', isNullable: true },
          { name: 'lease_owner', type: 'varchar', length: '64', isNullable: true },
          { ...updatedAt, name: 'updated_at' },
          { name: 'version', type: versionType, default: 1 },
        ],
        indices: [
          new TableIndex({ name: 'IDX_purges_organization_requested', columnNames: ['organization_id', 'requested_at'] }),
          new TableIndex({ name: 'IDX_purges_state_next_attempt', columnNames: ['state', 'next_attempt_at'] }),
          new TableIndex({ name: 'IDX_purges_user', columnNames: ['user_id', 'requested_at'] }),
        ],
        foreignKeys: [userForeignKey('FK_purges_user')],
      }),
    );
    await queryRunner.createTable(
      new Table({
        name: 'purged_items',
        columns: [
          { name: 'purge_id', type: 'varchar', length: '36', isPrimary: true },
          { name: 'kind', type: 'varchar', length: '8', isPrimary: true },
          { name: 'item_id', type: 'integer', isPrimary: true },
          { name: 'size_bytes', type: 'bigint', default: 0 },
        ],
      }),
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropTable('purged_items');
    await queryRunner.dropTable('purges');
    await queryRunner.dropTable('files');
    await queryRunner.dropTable('messages');
  }
}

function userForeignKey(name: string): TableForeignKey {
  return new TableForeignKey({
    name,
    columnNames: ['user_id'],
    referencedTableName: 'users',
    referencedColumnNames: ['id'],
    onDelete: 'RESTRICT',
    onUpdate: 'NO ACTION',
  });
}
