import { MigrationInterface, QueryRunner, Table, TableIndex } from 'typeorm';

/**
 * The admin request nonces seen within the signature window, when there is no Redis: the primary
 * key makes a second use of a (key, nonce) fail, also between processes.
 */
export class CreateRequestNonces1764324400000 implements MigrationInterface {
  name = 'CreateRequestNonces1764324400000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.createTable(
      new Table({
        name: 'request_nonces',
        columns: [
          { name: 'api_key_id', type: 'varchar', length: '36', isPrimary: true },
          { name: 'nonce_hash', type: 'varchar', length: '64', isPrimary: true },
          { name: 'expires_at', type: 'datetime' },
        ],
        indices: [new TableIndex({ name: 'IDX_request_nonces_expires_at', columnNames: ['expires_at'] })],
      }),
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropTable('request_nonces');
  }
}
