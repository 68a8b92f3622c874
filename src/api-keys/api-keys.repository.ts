import { Injectable } from '@nestjs/common';
import { Database } from '../database/database';
import { readBoolean, readDate, readNullableDate } from '../database/sql-values';
import { statement } from '../database/statement';
import type { UserRole } from '../users/user.entity';

/** A row of api_keys. */
export type ApiKeyRecord = {
  id: string;
  organizationId: string;
  ownerUserId: string;
  key: string;
  secretCiphertext: string;
  description: string | null;
  createdAt: Date;
  lastUsedAt: Date | null;
  revokedAt: Date | null;
};

export type ApiKeyWithOwner = ApiKeyRecord & { ownerUserName: string | null; scimCredentialActive: boolean };

/** What the admin request guard checks about a key's owner. */
export type KeyOwner = { id: string; active: boolean; role: UserRole; deletedAt: Date | null };

type ApiKeyRow = {
  id: string;
  organization_id: string;
  owner_user_id: string;
  key: string;
  secret_ciphertext: string;
  description: string | null;
  created_at: unknown;
  last_used_at: unknown;
  revoked_at: unknown;
};
type ListedRow = ApiKeyRow & { owner_user_name: string | null; credential_id: string | null };
type SigningRow = ApiKeyRow & { owner_id: string | null; owner_active: unknown; owner_role: string | null; owner_deleted_at: unknown };

const COLUMNS =
  'k.id, k.organization_id, k.owner_user_id, k.key, k.secret_ciphertext, k.description, k.created_at, k.last_used_at, k.revoked_at';

const INSERT = statement(
  'apiKeys.insert',
  'INSERT INTO api_keys (id, organization_id, owner_user_id, `key`, secret_ciphertext, description, created_at, last_used_at, revoked_at) VALUES (?, ?, ?, ?, ?, ?, ?, NULL, NULL)',
);
const IN_ORGANIZATION = statement<ApiKeyRow>(
  'apiKeys.inOrganization',
  `SELECT ${COLUMNS} FROM api_keys k WHERE k.id = ? AND k.organization_id = ?`,
);
// One credential per key at most (UQ_scim_credentials_api_key), so the join adds no rows.
const LIST = statement<ListedRow>(
  'apiKeys.listWithOwners',
  `SELECT ${COLUMNS}, u.user_name AS owner_user_name, c.id AS credential_id FROM api_keys k ` +
    'LEFT JOIN users u ON u.id = k.owner_user_id LEFT JOIN scim_credentials c ON c.api_key_id = k.id AND c.revoked_at IS NULL ' +
    'WHERE k.organization_id = ? ORDER BY k.created_at DESC, k.id ASC',
);
const SIGNING_KEY = statement<SigningRow>(
  'apiKeys.signingKey',
  `SELECT ${COLUMNS}, u.id AS owner_id, u.active AS owner_active, u.role AS owner_role, u.deleted_at AS owner_deleted_at ` +
    'FROM api_keys k LEFT JOIN users u ON u.id = k.owner_user_id WHERE k.`key` = ?',
);
const REVOKE = statement('apiKeys.revoke', 'UPDATE api_keys SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL');
const OPEN_OWNED_BY = statement<{ id: string; organization_id: string }>(
  'apiKeys.openOwnedBy',
  'SELECT id, organization_id FROM api_keys WHERE owner_user_id = ? AND revoked_at IS NULL ORDER BY id',
);
const REVOKE_OWNED_BY = statement(
  'apiKeys.revokeOwnedBy',
  'UPDATE api_keys SET revoked_at = ? WHERE owner_user_id = ? AND revoked_at IS NULL',
);
const MARK_USED = statement('apiKeys.markUsed', 'UPDATE api_keys SET last_used_at = ? WHERE id = ?');

/** The api_keys table. */
@Injectable()
export class ApiKeysRepository {
  constructor(private readonly database: Database) {}

  async insert(apiKey: ApiKeyRecord): Promise<void> {
    await this.database.run(INSERT, [
      apiKey.id,
      apiKey.organizationId,
      apiKey.ownerUserId,
      apiKey.key,
      apiKey.secretCiphertext,
      apiKey.description,
      apiKey.createdAt,
    ]);
  }

  async findInOrganization(organizationId: string, id: string): Promise<ApiKeyRecord | null> {
    const row = await this.database.first(IN_ORGANIZATION, [id, organizationId]);
    return row ? toRecord(row) : null;
  }

  /** Newest first, with the owner's userName and whether an active SCIM credential belongs to the key. */
  async listWithOwners(organizationId: string): Promise<ApiKeyWithOwner[]> {
    const rows = await this.database.rows(LIST, [organizationId]);
    return rows.map((row) => ({ ...toRecord(row), ownerUserName: row.owner_user_name, scimCredentialActive: row.credential_id !== null }));
  }

  /** The key (revoked or not) and its owner; the caller compares the key byte for byte. */
  async findSigningKey(key: string): Promise<{ apiKey: ApiKeyRecord; owner: KeyOwner } | null> {
    const row = await this.database.first(SIGNING_KEY, [key]);
    if (!row || row.owner_id === null) {
      return null;
    }
    const owner: KeyOwner = {
      id: row.owner_id,
      active: readBoolean(row.owner_active),
      role: row.owner_role === 'admin' ? 'admin' : 'user',
      deletedAt: readNullableDate(row.owner_deleted_at),
    };
    return { apiKey: toRecord(row), owner };
  }

  /** False when it was already revoked. */
  async revoke(id: string, now: Date): Promise<boolean> {
    return (await this.database.run(REVOKE, [now, id])).affected > 0;
  }

  /** The keys of this owner not yet revoked (read before revoking them, for the audit trail). */
  async openOwnedBy(ownerUserId: string): Promise<{ id: string; organizationId: string }[]> {
    const rows = await this.database.rows(OPEN_OWNED_BY, [ownerUserId]);
    return rows.map((row) => ({ id: row.id, organizationId: row.organization_id }));
  }

  /** Revokes every open key of the owner in one statement; returns how many. */
  async revokeOwnedBy(ownerUserId: string, now: Date): Promise<number> {
    return (await this.database.run(REVOKE_OWNED_BY, [now, ownerUserId])).affected;
  }

  async markUsed(id: string, at: Date): Promise<void> {
    await this.database.run(MARK_USED, [at, id]);
  }
}

function toRecord(row: ApiKeyRow): ApiKeyRecord {
  return {
    id: row.id,
    organizationId: row.organization_id,
    ownerUserId: row.owner_user_id,
    key: row.key,
    secretCiphertext: row.secret_ciphertext,
    description: row.description,
    createdAt: readDate(row.created_at),
    lastUsedAt: readNullableDate(row.last_used_at),
    revokedAt: readNullableDate(row.revoked_at),
  };
}
