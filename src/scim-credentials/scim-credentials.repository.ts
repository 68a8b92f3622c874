import { Injectable } from '@nestjs/common';
import { Database } from '../database/database';
import { readBoolean, readInteger, readNullableDate } from '../database/sql-values';
import { statement } from '../database/statement';

export type NewScimCredential = {
  id: string;
  organizationId: string;
  apiKeyId: string;
  username: string;
  passwordHash: string;
  createdAt: Date;
};

/** What a SCIM request's authentication reads about a credential, its key and the key's owner. */
export type CredentialForAuthRecord = {
  id: string;
  username: string;
  organizationId: string;
  organizationHostname: string;
  apiKeyId: string;
  passwordHash: string;
  lastUsedAt: Date | null;
  credentialRevoked: boolean;
  apiKeyRevoked: boolean;
  ownerActive: boolean;
  ownerIsAdmin: boolean;
};

type ForAuthRow = {
  id: string;
  username: string;
  organization_id: string;
  api_key_id: string;
  password_hash: string;
  last_used_at: unknown;
  credential_revoked_at: unknown;
  api_key_revoked_at: unknown;
  owner_active: unknown;
  owner_is_admin: unknown;
  organization_hostname: string;
};

const INSERT = statement(
  'scimCredentials.insert',
  'INSERT INTO scim_credentials (id, organization_id, api_key_id, username, password_hash, created_at, last_used_at, revoked_at) VALUES (?, ?, ?, ?, ?, ?, NULL, NULL)',
);
const DELETE_OF_KEY = statement('scimCredentials.deleteOfKey', 'DELETE FROM scim_credentials WHERE api_key_id = ?');
const REVOKE_OF_KEY = statement(
  'scimCredentials.revokeOfKey',
  'UPDATE scim_credentials SET revoked_at = ? WHERE api_key_id = ? AND revoked_at IS NULL',
);
const REVOKE_OWNED_BY = statement(
  'scimCredentials.revokeOwnedBy',
  'UPDATE scim_credentials SET revoked_at = ? WHERE revoked_at IS NULL AND api_key_id IN (SELECT id FROM api_keys WHERE owner_user_id = ?)',
);
// The SCIM hot path: one indexed, flat query. The owner's role is checked here too, not only by
// revoking keys on demotion: defence in depth.
const FOR_AUTH = statement<ForAuthRow>(
  'scimCredentials.forAuth',
  `SELECT c.id, c.username, c.organization_id, c.api_key_id, c.password_hash, c.last_used_at,
    c.revoked_at AS credential_revoked_at, k.revoked_at AS api_key_revoked_at, u.active AS owner_active,
    CASE WHEN u.role = 'admin' AND u.deleted_at IS NULL THEN 1 ELSE 0 END AS owner_is_admin, o.hostname AS organization_hostname
  FROM scim_credentials c
  JOIN api_keys k ON k.id = c.api_key_id
  JOIN users u ON u.id = k.owner_user_id
  JOIN organizations o ON o.id = c.organization_id
  WHERE c.username = ?`,
);
const MARK_USED = statement('scimCredentials.markUsed', 'UPDATE scim_credentials SET last_used_at = ? WHERE id = ?');

/** The scim_credentials table. */
@Injectable()
export class ScimCredentialsRepository {
  constructor(private readonly database: Database) {}

  async insert(credential: NewScimCredential): Promise<void> {
    await this.database.run(INSERT, [
      credential.id,
      credential.organizationId,
      credential.apiKeyId,
      credential.username,
      credential.passwordHash,
      credential.createdAt,
    ]);
  }

  async deleteOfKey(apiKeyId: string): Promise<void> {
    await this.database.run(DELETE_OF_KEY, [apiKeyId]);
  }

  /** Returns how many were revoked (0 or 1). */
  async revokeOfKey(apiKeyId: string, now: Date): Promise<number> {
    return (await this.database.run(REVOKE_OF_KEY, [now, apiKeyId])).affected;
  }

  /** Revokes the credentials of every key the user owns, in one statement. */
  async revokeOwnedBy(ownerUserId: string, now: Date): Promise<number> {
    return (await this.database.run(REVOKE_OWNED_BY, [now, ownerUserId])).affected;
  }

  /** By username; the caller compares it byte for byte (MySQL's collation also matches another case). */
  async findForAuth(username: string): Promise<CredentialForAuthRecord | null> {
    const row = await this.database.first(FOR_AUTH, [username]);
    if (!row) {
      return null;
    }
    return {
      id: row.id,
      username: row.username,
      organizationId: row.organization_id,
      organizationHostname: row.organization_hostname,
      apiKeyId: row.api_key_id,
      passwordHash: row.password_hash,
      lastUsedAt: readNullableDate(row.last_used_at),
      credentialRevoked: row.credential_revoked_at !== null,
      apiKeyRevoked: row.api_key_revoked_at !== null,
      ownerActive: readBoolean(row.owner_active),
      ownerIsAdmin: readInteger(row.owner_is_admin) === 1,
    };
  }

  async markUsed(id: string, at: Date): Promise<void> {
    await this.database.run(MARK_USED, [at, id]);
  }
}
