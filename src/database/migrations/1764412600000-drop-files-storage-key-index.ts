import { MigrationInterface, QueryRunner, TableIndex } from 'typeorm';

/**
 * Drops the index on files.storage_key. A purge deletes a user's files in id order, while the
 * index orders them by their random storage names, so every row deleted rewrote a different
 * index page, which came to dominate a purge's time. The storage sweep, its only reader, now looks
 * keys up among their owner's files (IDX_files_user) and scans the table only for the rare keys
 * no owner's row names (HistoryPurgePort.unreferencedStorageKeys).
 */
export class DropFilesStorageKeyIndex1764412600000 implements MigrationInterface {
  name = 'DropFilesStorageKeyIndex1764412600000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropIndex('files', 'IDX_files_storage_key');
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.createIndex('files', new TableIndex({ name: 'IDX_files_storage_key', columnNames: ['storage_key'] }));
  }
}
