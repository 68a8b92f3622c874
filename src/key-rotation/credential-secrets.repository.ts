import { Injectable } from '@nestjs/common';
import { Database } from '../database/database';
import { readInteger } from '../database/sql-values';
import { statement } from '../database/statement';

export type StoredApiKeySecret = { id: string; secretCiphertext: string };
export type ActiveScimPasswordHash = { apiKeyId: string; passwordHash: string };

type SecretRow = { id: string; secret_ciphertext: string };
type HashRow = { api_key_id: string; password_hash: string };

const SECRETS_AFTER = statement<SecretRow>(
  'apiKeySecrets.after',
  'SELECT id, secret_ciphertext FROM api_keys WHERE id > ? ORDER BY id LIMIT ?',
  {
    lock: 'update',
  },
);
const COUNT_SECRETS = statement<{ api_keys: unknown }>('apiKeySecrets.count', 'SELECT COUNT(*) AS api_keys FROM api_keys');
const REPLACE_SECRET = statement(
  'apiKeySecrets.replace',
  'UPDATE api_keys SET secret_ciphertext = ? WHERE id = ? AND secret_ciphertext = ?',
);
const ACTIVE_PASSWORD_HASHES = statement<HashRow>(
  'scimPasswordHashes.active',
  'SELECT api_key_id, password_hash FROM scim_credentials WHERE revoked_at IS NULL ORDER BY api_key_id',
);

/**
 * The stored credential secrets a server key protects, as a key rotation reaches them: the API
 * keys' encrypted signing secrets and the SCIM credentials' password hashes. (The api-keys module
 * owns these tables; this is the rotation's narrow view of them.)
 */
@Injectable()
export class CredentialSecretsRepository {
  constructor(private readonly database: Database) {}

  async countApiKeySecrets(): Promise<number> {
    return readInteger((await this.database.first(COUNT_SECRETS))?.api_keys);
  }

  /** Up to `limit` API key secrets, by id after `afterId`, locked until the transaction ends. */
  async lockApiKeySecrets(afterId: string, limit: number): Promise<StoredApiKeySecret[]> {
    return (await this.database.rows(SECRETS_AFTER, [afterId, limit])).map((row) => ({
      id: row.id,
      secretCiphertext: row.secret_ciphertext,
    }));
  }

  /** False when the secret changed since it was read. */
  async replaceApiKeySecret(secret: StoredApiKeySecret, secretCiphertext: string): Promise<boolean> {
    return (await this.database.run(REPLACE_SECRET, [secretCiphertext, secret.id, secret.secretCiphertext])).affected === 1;
  }

  async activeScimPasswordHashes(): Promise<ActiveScimPasswordHash[]> {
    return (await this.database.rows(ACTIVE_PASSWORD_HASHES)).map((row) => ({ apiKeyId: row.api_key_id, passwordHash: row.password_hash }));
  }
}
