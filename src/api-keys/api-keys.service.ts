import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { DataSource, EntityManager, IsNull, Repository } from 'typeorm';
import { AuditService } from '../audit/audit.service';
import { DomainError, DomainErrorCode, notFound } from '../common/domain-error';
import { RequestContext } from '../common/request-context';
import { Settings } from '../config/settings';
import { CredentialCrypto } from '../secrets/credential-crypto';
import { User } from '../users/user.entity';
import { ApiKey } from './api-key.entity';
import { ScimCredentialCache, ScimCredentialForAuth } from './scim-credential-cache';
import { ScimCredential } from './scim-credential.entity';
import { PreparedSql } from '../database/prepared-sql';
import { serializedTransaction } from '../database/serialized-transaction';

const KEY_BYTES = 18;
const SECRET_BYTES = 32;
const USERNAME_BYTES = 15;
const PASSWORD_BYTES = 32;
// The api_keys.key column's width: a longer claimed key cannot exist.
const KEY_MAX_LENGTH = 64;

// The owner's role is checked here too, not only by revoking keys on demotion: defence in depth.
const CREDENTIAL_FOR_AUTH_SQL = `SELECT c.id, c.username, c.organization_id, c.api_key_id, c.password_hash, c.last_used_at,
    c.revoked_at AS credential_revoked_at, k.revoked_at AS api_key_revoked_at, u.active AS owner_active,
    CASE WHEN u.role = 'admin' AND u.deleted_at IS NULL THEN 1 ELSE 0 END AS owner_is_admin, o.hostname AS organization_hostname
  FROM scim_credentials c
  JOIN api_keys k ON k.id = c.api_key_id
  JOIN users u ON u.id = k.owner_user_id
  JOIN organizations o ON o.id = c.organization_id
  WHERE c.username = ?`;

/** Who performs an admin action. */
export type Actor = { organizationId: string; userId: string; apiKeyId: string | null };

export type IssuedApiKey = { apiKey: ApiKey; secret: string };
export type IssuedScimCredential = { username: string; password: string; scimBaseUrl: string };
export type ApiKeyListing = ApiKey & { ownerUserName: string | null; scimCredentialActive: boolean };


/** A key that may sign admin requests, with what the guard must check about its owner. */
export type SigningKey = { apiKey: ApiKey; secret: string; owner: Pick<User, 'id' | 'active' | 'role' | 'deletedAt'> };

/** Why a user's keys are revoked all at once, and who did it (for the audit trail). */
export type OwnerKeysRevocation = {
  reason: 'owner_deactivated' | 'owner_demoted';
  actor: { userId: string | null; apiKeyId: string | null } | null;
  context: RequestContext;
};

const NO_REQUEST: RequestContext = { sourceAddress: null, requestId: null };

@Injectable()
export class ApiKeysService {
  constructor(
    private readonly dataSource: DataSource,
    @InjectRepository(ApiKey) private readonly apiKeys: Repository<ApiKey>,
    @InjectRepository(ScimCredential) private readonly credentials: Repository<ScimCredential>,
    private readonly crypto: CredentialCrypto,
    private readonly audit: AuditService,
    private readonly settings: Settings,
    private readonly preparedSql: PreparedSql,
    private readonly credentialCache: ScimCredentialCache,
  ) {}

  /** The secret is returned here and never again. */
  async create(actor: Actor, description: string | null, context: RequestContext, manager?: EntityManager): Promise<IssuedApiKey> {
    const run = async (tx: EntityManager): Promise<IssuedApiKey> => {
      const id = randomUUID();
      const secret = CredentialCrypto.randomToken(SECRET_BYTES);
      const apiKey = await tx.getRepository(ApiKey).save(
        tx.getRepository(ApiKey).create({
          id,
          organizationId: actor.organizationId,
          ownerUserId: actor.userId,
          key: `ak_${CredentialCrypto.randomToken(KEY_BYTES)}`,
          secretCiphertext: this.crypto.encrypt(secret, id),
          description,
          lastUsedAt: null,
          revokedAt: null,
        }),
      );
      await this.audit.record(
        { organizationId: actor.organizationId, type: 'api_key.created', actorUserId: actor.userId, actorApiKeyId: actor.apiKeyId, targetType: 'api_key', targetId: id },
        context,
        tx,
      );
      return { apiKey, secret };
    };
    return manager ? run(manager) : serializedTransaction(this.dataSource, run);
  }

  async list(organizationId: string): Promise<ApiKeyListing[]> {
    const keys = await this.apiKeys.find({
      where: { organizationId },
      relations: { owner: true },
      order: { createdAt: 'DESC', id: 'ASC' },
    });
    const withCredential = new Set(
      (await this.credentials.find({ where: { organizationId, revokedAt: IsNull() }, select: { apiKeyId: true } })).map(
        (credential) => credential.apiKeyId,
      ),
    );
    return keys.map((key) =>
      Object.assign(key, {
        ownerUserName: key.owner?.userName ?? null,
        scimCredentialActive: key.revokedAt === null && withCredential.has(key.id),
      }),
    );
  }

  /** Revokes the key and its SCIM credential together; both stop working on the next request. */
  async revoke(actor: Actor, apiKeyId: string, context: RequestContext): Promise<ApiKey> {
    return this.thenForgetCredentials(serializedTransaction(this.dataSource, async (tx) => {
      const apiKey = await this.findInOrganization(tx, actor.organizationId, apiKeyId);
      if (apiKey.revokedAt === null) {
        const now = new Date();
        apiKey.revokedAt = now;
        await tx.getRepository(ApiKey).update({ id: apiKey.id }, { revokedAt: now });
        await tx.getRepository(ScimCredential).update({ apiKeyId: apiKey.id, revokedAt: IsNull() }, { revokedAt: now });
        await this.audit.record(
          { organizationId: actor.organizationId, type: 'api_key.revoked', actorUserId: actor.userId, actorApiKeyId: actor.apiKeyId, targetType: 'api_key', targetId: apiKey.id },
          context,
          tx,
        );
      }
      return apiKey;
    }));
  }

  /** Issues (or replaces) the key's SCIM credential; the password is returned here and never again. */
  async issueScimCredential(actor: Actor, apiKeyId: string, context: RequestContext): Promise<IssuedScimCredential> {
    return this.thenForgetCredentials(serializedTransaction(this.dataSource, async (tx) => {
      const apiKey = await this.findInOrganization(tx, actor.organizationId, apiKeyId);
      if (apiKey.revokedAt !== null) {
        throw new DomainError(DomainErrorCode.ApiKeyRevoked, 'This API key is revoked; create a new key to issue SCIM credentials.');
      }
      const username = `scim_${CredentialCrypto.randomToken(USERNAME_BYTES)}`;
      const password = CredentialCrypto.randomToken(PASSWORD_BYTES);
      const repository = tx.getRepository(ScimCredential);
      await repository.delete({ apiKeyId: apiKey.id });
      await repository.insert({
        id: randomUUID(),
        organizationId: apiKey.organizationId,
        apiKeyId: apiKey.id,
        username,
        passwordHash: this.crypto.hashPassword(password),
        lastUsedAt: null,
        revokedAt: null,
      });
      await this.audit.record(
        { organizationId: actor.organizationId, type: 'scim_credential.issued', actorUserId: actor.userId, actorApiKeyId: actor.apiKeyId, targetType: 'api_key', targetId: apiKey.id },
        context,
        tx,
      );
      return { username, password, scimBaseUrl: this.settings.scimBaseUrl };
    }));
  }

  async revokeScimCredential(actor: Actor, apiKeyId: string, context: RequestContext): Promise<void> {
    await this.thenForgetCredentials(serializedTransaction(this.dataSource, async (tx) => {
      const apiKey = await this.findInOrganization(tx, actor.organizationId, apiKeyId);
      const result = await tx.getRepository(ScimCredential).update({ apiKeyId: apiKey.id, revokedAt: IsNull() }, { revokedAt: new Date() });
      if (!result.affected) {
        throw notFound('Active SCIM credential of this API key');
      }
      await this.audit.record(
        { organizationId: actor.organizationId, type: 'scim_credential.revoked', actorUserId: actor.userId, actorApiKeyId: actor.apiKeyId, targetType: 'api_key', targetId: apiKey.id },
        context,
        tx,
      );
    }));
  }

  /**
   * Revokes every key (and SCIM credential) a user owns, each audited: when the user is
   * deactivated or loses the administrator role, inside the caller's transaction. Call
   * `credentialsRevoked()` once that transaction has committed.
   */
  async revokeAllOwnedBy(
    manager: EntityManager,
    userId: string,
    cause: OwnerKeysRevocation = { reason: 'owner_deactivated', actor: null, context: NO_REQUEST },
  ): Promise<number> {
    const now = new Date();
    const owned = await manager
      .getRepository(ApiKey)
      .find({ where: { ownerUserId: userId, revokedAt: IsNull() }, select: { id: true, organizationId: true } });
    for (const { id, organizationId } of owned) {
      await manager.getRepository(ApiKey).update({ id, revokedAt: IsNull() }, { revokedAt: now });
      await manager.getRepository(ScimCredential).update({ apiKeyId: id, revokedAt: IsNull() }, { revokedAt: now });
      await this.audit.record(
        {
          organizationId,
          type: 'api_key.revoked',
          actorUserId: cause.actor?.userId ?? null,
          actorApiKeyId: cause.actor?.apiKeyId ?? null,
          targetType: 'api_key',
          targetId: id,
          detail: cause.reason,
        },
        cause.context,
        manager,
      );
    }
    return owned.length;
  }

  /** The key named in `ss-api-key`, revoked or not (the guard tells the two apart for the audit trail). */
  async findSigningKey(key: string): Promise<SigningKey | null> {
    if (key.length > KEY_MAX_LENGTH) {
      return null;
    }
    const apiKey = await this.apiKeys.findOne({ where: { key }, relations: { owner: true } });
    // Byte for byte: MySQL's collation would also match the key in another case.
    if (!apiKey?.owner || apiKey.key !== key) {
      return null;
    }
    return { apiKey, secret: this.crypto.decrypt(apiKey.secretCiphertext, apiKey.id), owner: apiKey.owner };
  }

  /** After a transaction that revoked keys or credentials has committed: no process keeps using them. */
  async credentialsRevoked(): Promise<void> {
    await this.credentialCache.invalidate();
  }

  /** The SCIM hot path (every SCIM request): cached, else one indexed, flat prepared query. */
  findCredentialByUsername(username: string): Promise<ScimCredentialForAuth | null> {
    return this.credentialCache.lookup(username, () => this.loadCredential(username));
  }

  private async loadCredential(username: string): Promise<ScimCredentialForAuth | null> {
    const [row] = await this.preparedSql.rows(CREDENTIAL_FOR_AUTH_SQL, [username]);
    // Byte for byte: MySQL's collation would also match the name in another case.
    if (!row || row.username !== username) {
      return null;
    }
    const lastUsedAt = this.preparedSql.hydrate(ScimCredential, { last_used_at: row.last_used_at }).lastUsedAt;
    return {
      id: String(row.id),
      organizationId: String(row.organization_id),
      organizationHostname: String(row.organization_hostname),
      apiKeyId: String(row.api_key_id),
      passwordHash: String(row.password_hash),
      lastUsedAt: lastUsedAt ?? null,
      revoked:
        row.credential_revoked_at !== null ||
        row.api_key_revoked_at !== null ||
        !(row.owner_active === true || Number(row.owner_active) === 1) ||
        Number(row.owner_is_admin) !== 1,
    };
  }

  async markUsed(kind: 'api_key' | 'scim_credential', id: string, at: Date): Promise<void> {
    await serializedTransaction(this.dataSource, (manager) =>
      kind === 'api_key' ? manager.getRepository(ApiKey).update({ id }, { lastUsedAt: at }) : manager.getRepository(ScimCredential).update({ id }, { lastUsedAt: at }),
    );
  }

  /** Whatever the transaction did to keys and credentials, no process keeps a cached copy of it. */
  private async thenForgetCredentials<T>(committed: Promise<T>): Promise<T> {
    try {
      return await committed;
    } finally {
      await this.credentialCache.invalidate();
    }
  }

  private async findInOrganization(manager: EntityManager, organizationId: string, apiKeyId: string): Promise<ApiKey> {
    const apiKey = await manager.getRepository(ApiKey).findOneBy({ id: apiKeyId, organizationId });
    if (!apiKey) {
      throw notFound('API key');
    }
    return apiKey;
  }
}
