import { MigrationInterface, QueryRunner, TableColumn } from 'typeorm';

/** DELETE of a SCIM user hides the row (its purge and history still reference it) and frees the userName. */
export class AddUsersDeletedAt1764324250000 implements MigrationInterface {
  name = 'AddUsersDeletedAt1764324250000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.addColumn('users', new TableColumn({ name: 'deleted_at', type: 'datetime', isNullable: true }));
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropColumn('users', 'deleted_at');
  }
}
