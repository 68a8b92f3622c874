import { MigrationInterface, QueryRunner, Table, TableForeignKey, TableIndex } from 'typeorm';
import { timestampColumns } from './timestamp-columns';

export class CreateCredentialsAndAudit1764324100000 implements MigrationInterface {
  name = 'CreateCredentialsAndAudit1764324100000';

  async up(queryRunner: QueryRunner): Promise<void> {
    const [createdAt] = timestampColumns(queryRunner);
    await queryRunner.createTable(
      new Table({
        name: 'api_keys',
        columns: [
          { name: 'id', type: 'varchar', length: '36', isPrimary: true },
          { name: 'organization_id', type: 'varchar', length: '36' },
          { name: 'owner_user_id', type: 'varchar', length: '36' },
          { name: 'key', type: 'varchar', length: '64' },
          { name: 'secret_ciphertext', type: 'varchar', length: '255' },
          { name: 'description', type: 'varchar', length: '255', isNullable: true },
          { ...createdAt, name: 'created_at' },
          { name: 'last_used_at', type: 'datetime', isNullable: true },
          { name: 'revoked_at', type: 'datetime', isNullable: true },
        ],
        indices: [
          new TableIndex({ name: 'UQ_api_keys_key', columnNames: ['key'], isUnique: true }),
          new TableIndex({ name: 'IDX_api_keys_organization', columnNames: ['organization_id', 'created_at'] }),
          new TableIndex({ name: 'IDX_api_keys_owner', columnNames: ['owner_user_id'] }),
        ],
        foreignKeys: [
          foreignKey('FK_api_keys_organization', 'organization_id', 'organizations'),
          foreignKey('FK_api_keys_owner', 'owner_user_id', 'users'),
        ],
      }),
    );
    await queryRunner.createTable(
      new Table({
        name: 'scim_credentials',
        columns: [
          { name: 'id', type: 'varchar', length: '36', isPrimary: true },
          { name: 'organization_id', type: 'varchar', length: '36' },
          { name: 'api_key_id', type: 'varchar', length: '36' },
          { name: 'username', type: 'varchar', length: '64' },
          { name: 'password_hash', type: 'varchar', length: '64' },
          { ...createdAt, name: 'created_at' },
          { name: 'last_used_at', type: 'datetime', isNullable: true },
          { name: 'revoked_at', type: 'datetime', isNullable: true },
        ],
        indices: [
          new TableIndex({ name: 'UQ_scim_credentials_api_key', columnNames: ['api_key_id'], isUnique: true }),
          new TableIndex({ name: 'UQ_scim_credentials_username', columnNames: ['username'], isUnique: true }),
        ],
        foreignKeys: [foreignKey('FK_scim_credentials_api_key', 'api_key_id', 'api_keys')],
      }),
    );
    await queryRunner.createTable(
      new Table({
        name: 'audit_events',
        columns: [
          { name: 'id', type: 'integer', isPrimary: true, isGenerated: true, generationStrategy: 'increment' },
          { name: 'organization_id', type: 'varchar', length: '36', isNullable: true },
          { ...createdAt, name: 'occurred_at' },
          { name: 'type', type: 'varchar', length: '64' },
          { name: 'actor_user_id', type: 'varchar', length: '36', isNullable: true },
          { name: 'actor_api_key_id', type: 'varchar', length: '36', isNullable: true },
          { name: 'target_type', type: 'varchar', length: '32', isNullable: true },
          { name: 'target_id', type: 'varchar', length: '255', isNullable: true },
          { name: 'source_address', type: 'varchar', length: '64', isNullable: true },
          { name: 'request_id', type: 'varchar', length: '128', isNullable: true },
          { name: 'detail', type: 'varchar', length: '255', isNullable: true },
        ],
        indices: [new TableIndex({ name: 'IDX_audit_events_organization', columnNames: ['organization_id', 'id'] })],
      }),
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropTable('audit_events');
    await queryRunner.dropTable('scim_credentials');
    await queryRunner.dropTable('api_keys');
  }
}

function foreignKey(name: string, column: string, referencedTable: string): TableForeignKey {
  return new TableForeignKey({
    name,
    columnNames: [column],
    referencedTableName: referencedTable,
    referencedColumnNames: ['id'],
    onDelete: 'RESTRICT',
    onUpdate: 'NO ACTION',
  });
}
