import { createSecretKey, randomBytes, randomUUID } from 'node:crypto';
import { Table } from 'typeorm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DataKey } from '../../../src/content-encryption/data-key';
import { openField, sealedFieldBytes, sealField } from '../../../src/content-encryption/field-cipher';
import { Database } from '../../../src/database/database';
import { statement } from '../../../src/database/statement';
import { IntegrationDatabase, openIntegrationDatabase } from '../support/integration-database';

type SealedRow = { subject: Uint8Array; body: Uint8Array; name: Uint8Array };
const INSERT = statement('test.sealedColumns.insert', 'INSERT INTO sealed_columns (id, subject, body, name) VALUES (?, ?, ?, ?)');
const BY_ID = statement<SealedRow>('test.sealedColumns.byId', 'SELECT subject, body, name FROM sealed_columns WHERE id = ?');
const INSERT_SMALL_BODY = statement(
  'test.sealedColumns.insertSmallBody',
  'INSERT INTO sealed_columns (id, subject, body, name, small_body) VALUES (?, ?, ?, ?, ?)',
);

// The longest values the API accepts, in 4-byte UTF-8 characters: their largest possible size.
const LONGEST_SUBJECT = '😀'.repeat(255);
const LONGEST_BODY = '😀'.repeat(65_535);
const LONGEST_NAME = '😀'.repeat(255);

/**
 * The column types phase 2 gives sealed history fields: BLOB for subject and file name, and for the
 * body MEDIUMBLOB on MySQL/MariaDB (a BLOB holds 65,535 bytes; the longest body seals to 262,185)
 * and BLOB on SQLite (which has no smaller kind).
 */
describe('column types for sealed fields', () => {
  let opened: IntegrationDatabase;
  let database: Database;
  const key = new DataKey(randomUUID(), randomUUID(), createSecretKey(randomBytes(32)));

  beforeAll(async () => {
    opened = await openIntegrationDatabase();
    database = opened.database;
    const mediumBlob = opened.target === 'mysql' ? 'mediumblob' : 'blob';
    await database.exclusive(async () => {
      const runner = opened.dataSource.createQueryRunner();
      try {
        await runner.createTable(
          new Table({
            name: 'sealed_columns',
            columns: [
              { name: 'id', type: 'varchar', length: '36', isPrimary: true },
              { name: 'subject', type: 'blob' },
              { name: 'body', type: mediumBlob },
              { name: 'name', type: 'blob' },
              { name: 'small_body', type: 'blob', isNullable: true },
            ],
          }),
        );
      } finally {
        await runner.release();
      }
    });
  });

  afterAll(async () => {
    await opened.close();
  });

  it('hold the longest subject, body and file name sealed, and give them back byte for byte', async () => {
    const sealed = {
      subject: sealField(key, 'message.subject', LONGEST_SUBJECT),
      body: sealField(key, 'message.body', LONGEST_BODY),
      name: sealField(key, 'file.name', LONGEST_NAME),
    };
    expect(sealed.body.length).toBe(sealedFieldBytes(4 * 65_535));
    const id = randomUUID();
    await database.run(INSERT, [id, sealed.subject, sealed.body, sealed.name]);
    const row = await database.first(BY_ID, [id]);
    expect(openField(key, 'message.subject', row?.subject ?? Buffer.alloc(0))).toBe(LONGEST_SUBJECT);
    expect(openField(key, 'message.body', row?.body ?? Buffer.alloc(0))).toBe(LONGEST_BODY);
    expect(openField(key, 'file.name', row?.name ?? Buffer.alloc(0))).toBe(LONGEST_NAME);
  });

  it('need more than a BLOB for the body on MySQL/MariaDB', async () => {
    const body = sealField(key, 'message.body', LONGEST_BODY);
    const small = sealField(key, 'message.subject', 'x');
    const attempt = database.run(INSERT_SMALL_BODY, [randomUUID(), small, small, small, body]);
    if (opened.target === 'mysql') {
      await expect(attempt).rejects.toMatchObject({ code: 'ER_DATA_TOO_LONG' });
    } else {
      await expect(attempt).resolves.toMatchObject({ affected: 1 });
    }
  });
});
