import { randomUUID } from 'node:crypto';
import { Readable } from 'node:stream';
import { INestApplication } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LegacyHistorySealer } from '../../../src/history/legacy-history-sealer';
import { BlobStorage } from '../../../src/storage/blob-storage';
import { adminRequest, bootstrapOrganization, BootstrappedOrganization } from '../../support/admin-api';
import { writeDirectly } from '../../support/direct-writes';
import { collectBytes, createUser, sha256 } from '../../support/purge-fixtures';
import { rememberSecret } from '../../support/secret-ledger';
import { createTestApp } from '../../support/test-app';

const SEALING = 'SealedHistoryContent1764325200000';

/** History written in plaintext before the upgrade: kept by the migration, readable, then sealed by the CLI step. */
describe('migrating plaintext history to sealed columns', () => {
  let app: INestApplication;
  let dataSource: DataSource;
  let acme: BootstrappedOrganization;

  beforeAll(async () => {
    app = await createTestApp();
    dataSource = app.get(DataSource);
    acme = await bootstrapOrganization(app, 'migrate');
    rememberSecret(acme.apiKey.secret);
  });

  afterAll(async () => {
    await app.close();
  });

  it('keeps every legacy row readable through the migration, and seal-legacy-history seals it without changing what is read', async () => {
    const user = await createUser(app, acme.organizationId);
    const applied = (await dataSource.query<{ name: string }[]>('SELECT name FROM migrations ORDER BY id')).map((row) => row.name);
    // Back to the schema before the sealing migration (and whatever came after it).
    const toUndo = applied.length - applied.indexOf(SEALING);
    expect(applied).toContain(SEALING);
    await writeDirectly(app, async (writer) => {
      for (let undone = 0; undone < toUndo; undone += 1) {
        await writer.undoLastMigration({ transaction: 'each' });
      }
    });

    const bytes = Buffer.from('plaintext from before the upgrade ✓\n'.repeat(3000));
    const storageKey = `${acme.organizationId}/${user.id}/${randomUUID()}`;
    await app.get(BlobStorage).put(storageKey, Readable.from([bytes]), { maxBytes: bytes.length, sha256: sha256(bytes) });
    await writeDirectly(app, (writer) =>
      writer.query('INSERT INTO messages (organization_id, user_id, subject, body) VALUES (?, ?, ?, ?)', [
        acme.organizationId,
        user.id,
        'Ancien sujet ✓',
        'Corps d’avant 😀',
      ]),
    );
    await writeDirectly(app, (writer) =>
      writer.query('INSERT INTO files (organization_id, user_id, name, size_bytes, sha256, storage_key) VALUES (?, ?, ?, ?, ?, ?)', [
        acme.organizationId,
        user.id,
        'rapport été.txt',
        bytes.length,
        sha256(bytes),
        storageKey,
      ]),
    );
    await writeDirectly(app, (writer) => writer.runMigrations({ transaction: 'each' }));

    const readBack = async (): Promise<void> => {
      const messages = await adminRequest(app, 'get', `/admin/v1/users/${user.id}/messages`, acme.apiKey).expect(200);
      expect(messages.body.items).toEqual([
        { id: expect.any(Number), subject: 'Ancien sujet ✓', body: 'Corps d’avant 😀', createdAt: expect.any(String) },
      ]);
      const files = await adminRequest(app, 'get', `/admin/v1/users/${user.id}/files`, acme.apiKey).expect(200);
      expect(files.body.items).toEqual([
        { id: expect.any(Number), name: 'rapport été.txt', sizeBytes: bytes.length, sha256: sha256(bytes), createdAt: expect.any(String) },
      ]);
      const content = await adminRequest(app, 'get', `/admin/v1/users/${user.id}/files/${files.body.items[0].id}/content`, acme.apiKey)
        .buffer(true)
        .parse(collectBytes)
        .expect(200);
      expect((content.body as Buffer).equals(bytes)).toBe(true);
    };
    await readBack();

    const report = await app.get(LegacyHistorySealer).seal(100, () => undefined);
    expect(report).toMatchObject({ messages: { sealed: 1, left: 0 }, files: { sealed: 1, left: 0 } });
    const [message] = await dataSource.query<{ subject: Buffer; data_key_id: string | null }[]>(
      'SELECT subject, data_key_id FROM messages WHERE user_id = ?',
      [user.id],
    );
    expect(message.data_key_id).toEqual(expect.any(String));
    expect(Buffer.from(message.subject).includes(Buffer.from('Ancien'))).toBe(false);
    await readBack();
  });
});
