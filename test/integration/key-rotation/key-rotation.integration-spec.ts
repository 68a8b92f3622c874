import { createCipheriv, randomBytes, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { openField, sealField } from '../../../src/content-encryption/field-cipher';
import { Database } from '../../../src/database/database';
import { statement } from '../../../src/database/statement';
import { CredentialSecretsRepository } from '../../../src/key-rotation/credential-secrets.repository';
import { KeyRotationService, RotationProgress } from '../../../src/key-rotation/key-rotation.service';
import { CredentialCrypto } from '../../../src/secrets/credential-crypto';
import { ServerKeyNotConfiguredError, ServerKeyRing } from '../../../src/secrets/server-key-ring';
import { contentEncryption, createUsers, newServerKey, serverKeyRing } from '../support/data-key-fixtures';
import { IntegrationDatabase, openIntegrationDatabase } from '../support/integration-database';

const INSERT_API_KEY = statement(
  'test.keyRotation.insertApiKey',
  'INSERT INTO api_keys (id, organization_id, owner_user_id, `key`, secret_ciphertext) SELECT ?, organization_id, id, ?, ? FROM users WHERE id = ?',
);
const INSERT_SCIM_CREDENTIAL = statement(
  'test.keyRotation.insertScimCredential',
  'INSERT INTO scim_credentials (id, organization_id, api_key_id, username, password_hash, revoked_at) SELECT ?, organization_id, id, ?, ?, ? FROM api_keys WHERE id = ?',
);
const SECRET_OF = statement<{ secret_ciphertext: string }>(
  'test.keyRotation.secretOf',
  'SELECT secret_ciphertext FROM api_keys WHERE id = ?',
);
const SERVER_KEYS_OF_DATA_KEYS = statement<{ server_key_id: string }>(
  'test.keyRotation.serverKeysOfDataKeys',
  'SELECT server_key_id FROM data_keys ORDER BY id',
);
const CLEAR = ['scim_credentials', 'api_keys', 'data_keys'].map((table) =>
  statement(`test.keyRotation.clear-${table.replace('_', '-')}`, `DELETE FROM ${table}`),
);

type Seeded = { userIds: string[]; sealed: Map<string, Buffer>; secrets: Map<string, string> };

describe('rotate-encryption-key: moving what the server keys protect to the current one', () => {
  let opened: IntegrationDatabase;
  let database: Database;
  const [oldKey, newKey] = [newServerKey(), newServerKey()];

  function rotationWith(ring: ServerKeyRing): KeyRotationService {
    return new KeyRotationService(
      database,
      contentEncryption(database, ring).rotation,
      new CredentialSecretsRepository(database),
      new CredentialCrypto(ring),
      ring,
    );
  }

  /** Users with data keys and sealed content, and API keys with secrets, all under `ring`'s key (two secrets in the untagged v1 form). */
  async function seed(ring: ServerKeyRing, users: number, apiKeys: number): Promise<Seeded> {
    const userIds = await createUsers(database, users);
    const { dataKeys } = contentEncryption(database, ring);
    const crypto = new CredentialCrypto(ring);
    const sealed = new Map<string, Buffer>();
    for (const userId of userIds) {
      sealed.set(userId, sealField(await dataKeys.currentKey(userId), 'message.body', `body of ${userId}`));
    }
    const secrets = new Map<string, string>();
    for (let index = 0; index < apiKeys; index += 1) {
      const id = randomUUID();
      const secret = randomBytes(32).toString('base64url');
      const stored = index < 2 ? legacySecret(ring, secret, id) : crypto.encrypt(secret, id);
      await database.run(INSERT_API_KEY, [id, `ak_${id}`, stored, userIds[index % userIds.length] ?? '']);
      secrets.set(id, secret);
    }
    return { userIds, sealed, secrets };
  }

  /** Everything seeded opens with a process configured with `ring`. */
  async function expectReadable(ring: ServerKeyRing, seeded: Seeded): Promise<void> {
    const { dataKeys } = contentEncryption(database, ring);
    for (const userId of seeded.userIds) {
      const key = (await dataKeys.keysOf(userId)).values().next().value;
      expect(key && openField(key, 'message.body', seeded.sealed.get(userId) ?? Buffer.alloc(0))).toBe(`body of ${userId}`);
    }
    const crypto = new CredentialCrypto(ring);
    for (const [id, secret] of seeded.secrets) {
      const stored = await database.first(SECRET_OF, [id]);
      expect(crypto.decrypt(stored?.secret_ciphertext ?? '', id)).toBe(secret);
    }
  }

  beforeAll(async () => {
    opened = await openIntegrationDatabase();
    database = opened.database;
  });

  beforeEach(async () => {
    for (const clear of CLEAR) {
      await database.run(clear);
    }
  });

  afterAll(async () => {
    await opened.close();
  });

  it('re-wraps every data key and re-encrypts every API key secret, a batch at a time; an interrupted run loses nothing and a re-run finishes', async () => {
    const seeded = await seed(serverKeyRing(oldKey), 23, 9);
    const rotating = serverKeyRing(newKey, [oldKey]);
    const progress: RotationProgress[] = [];
    await expect(
      rotationWith(rotating).rotate({ batchSize: 5, pauseMs: 0 }, (event) => {
        progress.push(event);
        if (event.done > 0) {
          throw new Error('interrupted');
        }
      }),
    ).rejects.toThrow('interrupted');
    expect(progress).toEqual([
      { stage: 'data keys', done: 0, total: 23 },
      { stage: 'data keys', done: 5, total: 23 },
    ]);
    const underKeys = (await database.rows(SERVER_KEYS_OF_DATA_KEYS)).map((row) => row.server_key_id);
    expect(underKeys.filter((id) => id === rotating.current.id)).toHaveLength(5);
    await expectReadable(rotating, seeded);

    progress.length = 0;
    const report = await rotationWith(rotating).rotate({ batchSize: 5, pauseMs: 0 }, (event) => progress.push(event));
    expect(report).toEqual({
      serverKeyId: rotating.current.id,
      dataKeys: { rewrapped: 18, skipped: [] },
      apiKeySecrets: { reencrypted: 9, skipped: [] },
      scimCredentials: { active: 0, underCurrentKey: 0, needingReplacement: [] },
      complete: true,
    });
    expect(progress.at(0)).toEqual({ stage: 'data keys', done: 0, total: 18 });
    expect(progress.filter((event) => event.stage === 'data keys').at(-1)).toEqual({ stage: 'data keys', done: 18, total: 18 });
    expect(progress.at(-1)).toEqual({ stage: 'API key secrets', done: 9, total: 9 });

    await expectReadable(serverKeyRing(newKey), seeded);
    const { dataKeys: oldOnly } = contentEncryption(database, serverKeyRing(oldKey));
    await expect(oldOnly.keysOf(seeded.userIds[0] ?? '')).rejects.toThrow(ServerKeyNotConfiguredError);

    const again = await rotationWith(rotating).rotate({ batchSize: 5, pauseMs: 0 }, () => undefined);
    expect(again.dataKeys.rewrapped + again.apiKeySecrets.reencrypted).toBe(0);
  });

  it('leaves what needs a server key it was not given where it is, and names that key', async () => {
    const seeded = await seed(serverKeyRing(oldKey), 3, 3);
    const report = await rotationWith(serverKeyRing(newKey)).rotate({ batchSize: 2, pauseMs: 0 }, () => undefined);
    const oldId = serverKeyRing(oldKey).current.id;
    expect(report.complete).toBe(false);
    expect(report.dataKeys).toEqual({ rewrapped: 0, skipped: [{ reason: 'server-key-not-configured', serverKeyId: oldId, count: 3 }] });
    expect(report.apiKeySecrets.reencrypted).toBe(0);
    expect(report.apiKeySecrets.skipped).toHaveLength(2);
    expect(report.apiKeySecrets.skipped).toEqual(
      expect.arrayContaining([
        { reason: 'server-key-not-configured', serverKeyId: oldId, count: 1 },
        { reason: 'server-key-not-configured', serverKeyId: null, count: 2 },
      ]),
    );
    await expectReadable(serverKeyRing(oldKey), seeded);
  });

  it('lists the SCIM credentials whose password hash still needs a previous key', async () => {
    const [userId] = await createUsers(database, 1);
    const oldRing = serverKeyRing(oldKey);
    const rotating = serverKeyRing(newKey, [oldKey]);
    const credentials = [
      { hash: new CredentialCrypto(oldRing).hashPassword('a'), revoked: null },
      { hash: legacyPasswordHash(oldRing, 'b'), revoked: null },
      { hash: new CredentialCrypto(rotating).hashPassword('c'), revoked: null },
      { hash: new CredentialCrypto(oldRing).hashPassword('d'), revoked: new Date() },
    ];
    const apiKeyIds: string[] = [];
    for (const { hash, revoked } of credentials) {
      const apiKeyId = randomUUID();
      apiKeyIds.push(apiKeyId);
      await database.run(INSERT_API_KEY, [apiKeyId, `ak_${apiKeyId}`, new CredentialCrypto(rotating).encrypt('s', apiKeyId), userId ?? '']);
      await database.run(INSERT_SCIM_CREDENTIAL, [randomUUID(), `scim_${apiKeyId.slice(0, 8)}`, hash, revoked, apiKeyId]);
    }
    const report = await rotationWith(rotating).rotate({ batchSize: 10, pauseMs: 0 }, () => undefined);
    expect(report.complete).toBe(true);
    expect(report.scimCredentials.active).toBe(3);
    expect(report.scimCredentials.underCurrentKey).toBe(1);
    expect([...report.scimCredentials.needingReplacement].sort((a, b) => a.apiKeyId.localeCompare(b.apiKeyId))).toEqual(
      [
        { apiKeyId: apiKeyIds[0], serverKeyId: oldRing.current.id },
        { apiKeyId: apiKeyIds[1], serverKeyId: null },
      ].sort((a, b) => String(a.apiKeyId).localeCompare(String(b.apiKeyId))),
    );
    // With no previous key configured, an untagged hash can only have been made under the current one.
    const settled = await rotationWith(serverKeyRing(newKey)).rotate({ batchSize: 10, pauseMs: 0 }, () => undefined);
    expect(settled.scimCredentials.needingReplacement).toEqual([{ apiKeyId: apiKeyIds[0], serverKeyId: oldRing.current.id }]);
  });

  it('re-wraps a batch in one transaction, and leaves a key destroyed between its read and its write destroyed', async () => {
    const ids = await createUsers(database, 4);
    const { dataKeys } = contentEncryption(database, serverKeyRing(oldKey));
    for (const userId of ids) {
      await dataKeys.currentKey(userId);
    }
    const rotating = contentEncryption(database, serverKeyRing(newKey, [oldKey]));
    await expect(
      database.transaction(async () => {
        expect((await rotating.rotation.rewrapBatch('', 10)).rewrapped).toBe(4);
        throw new Error('the batch failed before its commit');
      }),
    ).rejects.toThrow('before its commit');
    expect((await rotating.rotation.notUnderCurrentKey()).get(serverKeyRing(oldKey).current.id)).toBe(4);

    const [read] = await database.transaction(() => rotating.repository.lockNotUnderServerKey(serverKeyRing(newKey).current.id, '', 1));
    expect(read).toBeDefined();
    await rotating.dataKeys.destroyUserKeys(read?.userId ?? '');
    expect(await rotating.repository.rewrap(read, serverKeyRing(newKey).current.id, randomBytes(60))).toBe(false);
    const batch = await rotating.rotation.rewrapBatch('', 10);
    expect(batch.rewrapped).toBe(3);
    await expect(rotating.dataKeys.key(read?.userId ?? '', read?.id ?? '')).rejects.toThrow(/destroyed/);
  });
});

/** An API key secret as the release before server key ids wrote it. */
function legacySecret(ring: ServerKeyRing, secret: string, apiKeyId: string): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', ring.current.subkey('api-key-secret-encryption'), iv);
  cipher.setAAD(Buffer.from(apiKeyId, 'utf8'));
  const ciphertext = Buffer.concat([cipher.update(secret, 'utf8'), cipher.final()]);
  return `v1:${Buffer.concat([iv, cipher.getAuthTag(), ciphertext]).toString('base64')}`;
}

/** A SCIM password hash as the release before server key ids wrote it. */
function legacyPasswordHash(ring: ServerKeyRing, password: string): string {
  const crypto = new CredentialCrypto(ring);
  return Buffer.from(crypto.hashPassword(password).split('$')[2] ?? '', 'base64url').toString('hex');
}
