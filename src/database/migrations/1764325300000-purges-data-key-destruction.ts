import { MigrationInterface, QueryRunner, TableColumn, TableIndex } from 'typeorm';

/**
 * What a purge did to the user's data keys, for its receipt: when they were destroyed and which
 * (a JSON array of {id, destroyedAt}); and the keys it still has to destroy (a JSON array of ids),
 * set when destruction is deferred to the purge's first step rather than done by the deactivation.
 * And an index on files.storage_key, by which the storage sweep finds bytes no file refers to.
 */
export class PurgesDataKeyDestruction1764325300000 implements MigrationInterface {
  name = 'PurgesDataKeyDestruction1764325300000';

  async up(queryRunner: QueryRunner): Promise<void> {
    // One call, so SQLite rebuilds the table once.
    await queryRunner.addColumns('purges', [
      new TableColumn({ name: 'data_keys_destroyed_at', type: 'datetime', precision: 6, isNullable: true }),
      new TableColumn({ name: 'data_keys_destroyed', type: 'text', isNullable: true }),
      new TableColumn({ name: 'data_key_ids_to_destroy', type: 'text', isNullable: true }),
    ]);
    await queryRunner.createIndex('files', new TableIndex({ name: 'IDX_files_storage_key', columnNames: ['storage_key'] }));
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropIndex('files', 'IDX_files_storage_key');
    await queryRunner.dropColumns('purges', ['data_key_ids_to_destroy', 'data_keys_destroyed', 'data_keys_destroyed_at']);
  }
}
