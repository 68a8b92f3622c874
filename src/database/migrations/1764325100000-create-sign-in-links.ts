import { MigrationInterface, QueryRunner, Table, TableForeignKey, TableIndex } from 'typeorm';

/**
 * One-time sign-in links (issue 15): the first administrator's way into the console before single
 * sign-on exists, and the recovery path when it breaks. Only the hash of the link's token is stored;
 * `used_at` is set by the one statement that consumes it.
 */
export class CreateSignInLinks1764325100000 implements MigrationInterface {
  name = 'CreateSignInLinks1764325100000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.createTable(
      new Table({
        name: 'sign_in_links',
        columns: [
          { name: 'token_hash', type: 'varchar', length: '64', isPrimary: true },
          { name: 'organization_id', type: 'varchar', length: '36' },
          { name: 'user_id', type: 'varchar', length: '36' },
          { name: 'created_at', type: 'datetime' },
          { name: 'expires_at', type: 'datetime' },
          { name: 'used_at', type: 'datetime', isNullable: true },
        ],
        indices: [new TableIndex({ name: 'IDX_sign_in_links_expires_at', columnNames: ['expires_at'] })],
        foreignKeys: [
          foreignKey('FK_sign_in_links_organization', 'organization_id', 'organizations'),
          foreignKey('FK_sign_in_links_user', 'user_id', 'users'),
        ],
      }),
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropTable('sign_in_links');
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
