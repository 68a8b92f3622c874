import { MigrationInterface, QueryRunner, Table, TableForeignKey, TableIndex } from 'typeorm';
import { timestampColumns } from './timestamp-columns';

export class CreateOrganizationsAndUsers1764324000000 implements MigrationInterface {
  name = 'CreateOrganizationsAndUsers1764324000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.createTable(
      new Table({
        name: 'organizations',
        columns: [
          { name: 'id', type: 'varchar', length: '36', isPrimary: true },
          { name: 'name', type: 'varchar', length: '255' },
          { name: 'hostname', type: 'varchar', length: '255' },
          ...timestampColumns(queryRunner),
        ],
        indices: [new TableIndex({ name: 'UQ_organizations_hostname', columnNames: ['hostname'], isUnique: true })],
      }),
    );
    await queryRunner.createTable(
      new Table({
        name: 'users',
        columns: [
          { name: 'id', type: 'varchar', length: '36', isPrimary: true },
          { name: 'organization_id', type: 'varchar', length: '36' },
          { name: 'user_name', type: 'varchar', length: '255' },
          { name: 'user_name_normalized', type: 'varchar', length: '255' },
          { name: 'email', type: 'varchar', length: '320', isNullable: true },
          { name: 'given_name', type: 'varchar', length: '255', isNullable: true },
          { name: 'family_name', type: 'varchar', length: '255', isNullable: true },
          { name: 'external_id', type: 'varchar', length: '255', isNullable: true },
          { name: 'active', type: 'boolean', default: 1 },
          { name: 'role', type: 'varchar', length: '16', default: "'user'" },
          ...timestampColumns(queryRunner),
          { name: 'version', type: queryRunner.connection.driver.mappedDataTypes.version.toString(), default: 1 },
        ],
        indices: [
          new TableIndex({
            name: 'UQ_users_organization_user_name',
            columnNames: ['organization_id', 'user_name_normalized'],
            isUnique: true,
          }),
          new TableIndex({ name: 'IDX_users_organization_external_id', columnNames: ['organization_id', 'external_id'] }),
        ],
        foreignKeys: [
          new TableForeignKey({
            name: 'FK_users_organization',
            columnNames: ['organization_id'],
            referencedTableName: 'organizations',
            referencedColumnNames: ['id'],
            onDelete: 'RESTRICT',
            onUpdate: 'NO ACTION',
          }),
        ],
      }),
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropTable('users');
    await queryRunner.dropTable('organizations');
  }
}
