import { MigrationInterface, QueryRunner, Table, TableColumn, TableIndex } from 'typeorm';
import { SEALED_BODY_MYSQL_TYPE } from '../sealed-column';

const DATA_KEY_ID = { name: 'data_key_id', type: 'varchar', length: '36', isNullable: true };

/**
 * History content sealed under users' data keys: subject, body and file name become binary, and
 * each row names the data key its content is under. Rows written before keep their plaintext
 * bytes with data_key_id NULL (legacy, still readable; see docs/encryption.md). The tombstones of
 * destroyed data keys say when a user's content was crypto-shredded.
 */
export class SealedHistoryContent1764325200000 implements MigrationInterface {
  name = 'SealedHistoryContent1764325200000';

  async up(queryRunner: QueryRunner): Promise<void> {
    if (isMysql(queryRunner)) {
      // MODIFY keeps the stored bytes (UTF-8 text becomes the same bytes); TypeORM's changeColumn would drop the column.
      await queryRunner.query(
        `ALTER TABLE messages MODIFY subject BLOB NOT NULL, MODIFY body ${SEALED_BODY_MYSQL_TYPE} NOT NULL, ADD data_key_id varchar(36) NULL`,
      );
      await queryRunner.query('ALTER TABLE files MODIFY name BLOB NOT NULL, ADD data_key_id varchar(36) NULL');
    } else {
      // SQLite rebuilds each table (copying its rows) once per call.
      await rebuild(queryRunner, 'messages', [
        ['subject', 'blob'],
        ['body', 'blob'],
      ]);
      await rebuild(queryRunner, 'files', [['name', 'blob']]);
    }
    await queryRunner.createTable(
      new Table({
        name: 'destroyed_data_keys',
        columns: [
          { name: 'id', type: 'varchar', length: '36', isPrimary: true },
          { name: 'user_id', type: 'varchar', length: '36' },
          { name: 'destroyed_at', type: 'datetime' },
        ],
        indices: [new TableIndex({ name: 'IDX_destroyed_data_keys_user', columnNames: ['user_id'] })],
      }),
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropTable('destroyed_data_keys');
    if (isMysql(queryRunner)) {
      await queryRunner.query('ALTER TABLE files DROP COLUMN data_key_id, MODIFY name varchar(255) NOT NULL');
      await queryRunner.query(
        'ALTER TABLE messages DROP COLUMN data_key_id, MODIFY subject varchar(255) NOT NULL, MODIFY body text NOT NULL',
      );
    } else {
      await queryRunner.dropColumn('files', 'data_key_id');
      await queryRunner.changeColumn('files', 'name', new TableColumn({ name: 'name', type: 'varchar', length: '255' }));
      await queryRunner.dropColumn('messages', 'data_key_id');
      await queryRunner.changeColumns('messages', [
        {
          oldColumn: await columnOf(queryRunner, 'messages', 'subject'),
          newColumn: new TableColumn({ name: 'subject', type: 'varchar', length: '255' }),
        },
        { oldColumn: await columnOf(queryRunner, 'messages', 'body'), newColumn: new TableColumn({ name: 'body', type: 'text' }) },
      ]);
    }
  }
}

function isMysql(queryRunner: QueryRunner): boolean {
  const type = queryRunner.connection.options.type;
  return type === 'mysql' || type === 'mariadb';
}

async function rebuild(queryRunner: QueryRunner, tableName: string, columns: [string, string][]): Promise<void> {
  const changes = [];
  for (const [name, type] of columns) {
    changes.push({ oldColumn: await columnOf(queryRunner, tableName, name), newColumn: new TableColumn({ name, type }) });
  }
  await queryRunner.changeColumns(tableName, changes);
  await queryRunner.addColumn(tableName, new TableColumn(DATA_KEY_ID));
}

async function columnOf(queryRunner: QueryRunner, tableName: string, name: string): Promise<TableColumn> {
  const column = (await queryRunner.getTable(tableName))?.findColumnByName(name);
  if (!column) {
    throw new Error(`${tableName}.${name} is missing`);
  }
  return column;
}
