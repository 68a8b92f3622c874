import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { AuditService } from '../audit/audit.service';
import { DomainError, DomainErrorCode, notFound } from '../common/domain-error';
import { RequestContext } from '../common/request-context';
import { Settings } from '../config/settings';
import { Database } from '../database/database';
import { ScimCredentialsService } from '../scim-credentials/scim-credentials.service';
import { CredentialCrypto } from '../secrets/credential-crypto';
import { ApiKeyRecord, ApiKeysRepository, ApiKeyWithOwner, KeyOwner } from './api-keys.repository';

const KEY_BYTES = 18;
const SECRET_BYTES = 32;
// The api_keys.key column's width: a longer claimed key cannot exist.
const KEY_MAX_LENGTH = 64;

/** Who performs an admin action. */
export type Actor = { organizationId: string; userId: string; apiKeyId: string | null };

export type IssuedApiKey = { apiKey: ApiKeyRecord; secret: string };
export type IssuedScimCredential = { username: string; password: string; scimBaseUrl: string };
export type ApiKeyListing = ApiKeyWithOwner;

/** A key that may sign admin requests, with what the guard must check about its owner. */
export type SigningKey = { apiKey: ApiKeyRecord; secret: string; owner: KeyOwner };

/** Why a user's keys are revoked all at once, and who did it (for the audit trail). */
export type OwnerKeysRevocation = {
  reason: 'owner_deactivated' | 'owner_demoted';
  actor: { userId: string | null; apiKeyId: string | null } | null;
  context: RequestContext;
};

const NO_REQUEST: RequestContext = { sourceAddress: null, requestId: null };

/**
 * API-key administration (create, list, revoke, a key's SCIM credential) and the signing-key
 * lookup of admin requests. Every change is audited in its own transaction, or in the caller's.
 */
@Injectable()
export class ApiKeysService {
  constructor(
    private readonly database: Database,
    private readonly apiKeys: ApiKeysRepository,
    private readonly scimCredentials: ScimCredentialsService,
    private readonly crypto: CredentialCrypto,
    private readonly audit: AuditService,
    private readonly settings: Settings,
  ) {}

  /** The secret is returned here and never again. */
  async create(actor: Actor, description: string | null, context: RequestContext): Promise<IssuedApiKey> {
    const id = randomUUID();
    const secret = CredentialCrypto.randomToken(SECRET_BYTES);
    const apiKey: ApiKeyRecord = {
      id,
      organizationId: actor.organizationId,
      ownerUserId: actor.userId,
      key: `ak_${CredentialCrypto.randomToken(KEY_BYTES)}`,
      secretCiphertext: this.crypto.encrypt(secret, id),
      description,
      // Millisecond precision on SQLite too, so the list order follows creation.
      createdAt: new Date(),
      lastUsedAt: null,
      revokedAt: null,
    };
    await this.database.transaction(async () => {
      await this.apiKeys.insert(apiKey);
      await this.audit.record(
        {
          organizationId: actor.organizationId,
          type: 'api_key.created',
          actorUserId: actor.userId,
          actorApiKeyId: actor.apiKeyId,
          targetType: 'api_key',
          targetId: id,
        },
        context,
      );
    });
    return { apiKey, secret };
  }

  list(organizationId: string): Promise<ApiKeyListing[]> {
    return this.apiKeys.listWithOwners(organizationId);
  }

  /** Revokes the key and its SCIM credential together; both stop working on the next request. */
  async revoke(actor: Actor, apiKeyId: string, context: RequestContext): Promise<ApiKeyRecord> {
    return this.database.transaction(async () => {
      const apiKey = await this.findInOrganization(actor.organizationId, apiKeyId);
      if (apiKey.revokedAt !== null) {
        return apiKey;
      }
      const now = new Date();
      if (await this.apiKeys.revoke(apiKey.id, now)) {
        await this.scimCredentials.revokeOfKey(apiKey.id, now);
        await this.audit.record(
          {
            organizationId: actor.organizationId,
            type: 'api_key.revoked',
            actorUserId: actor.userId,
            actorApiKeyId: actor.apiKeyId,
            targetType: 'api_key',
            targetId: apiKey.id,
          },
          context,
        );
      }
      return { ...apiKey, revokedAt: now };
    });
  }

  /** Issues (or replaces) the key's SCIM credential; the password is returned here and never again. */
  async issueScimCredential(actor: Actor, apiKeyId: string, context: RequestContext): Promise<IssuedScimCredential> {
    return this.database.transaction(async () => {
      const apiKey = await this.findInOrganization(actor.organizationId, apiKeyId);
      if (apiKey.revokedAt !== null) {
        throw new DomainError(DomainErrorCode.ApiKeyRevoked, 'This API key is revoked; create a new key to issue SCIM credentials.');
      }
      const { username, password } = await this.scimCredentials.issue(apiKey);
      await this.audit.record(
        {
          organizationId: actor.organizationId,
          type: 'scim_credential.issued',
          actorUserId: actor.userId,
          actorApiKeyId: actor.apiKeyId,
          targetType: 'api_key',
          targetId: apiKey.id,
        },
        context,
      );
      return { username, password, scimBaseUrl: this.settings.scimBaseUrl };
    });
  }

  async revokeScimCredential(actor: Actor, apiKeyId: string, context: RequestContext): Promise<void> {
    await this.database.transaction(async () => {
      const apiKey = await this.findInOrganization(actor.organizationId, apiKeyId);
      if (!(await this.scimCredentials.revokeOfKey(apiKey.id, new Date()))) {
        throw notFound('Active SCIM credential of this API key');
      }
      await this.audit.record(
        {
          organizationId: actor.organizationId,
          type: 'scim_credential.revoked',
          actorUserId: actor.userId,
          actorApiKeyId: actor.apiKeyId,
          targetType: 'api_key',
          targetId: apiKey.id,
        },
        context,
      );
    });
  }

  /**
   * Revokes every key (and SCIM credential) a user owns, in the caller's transaction, when the
   * user is deactivated or loses the administrator role: one UPDATE per table, each key audited.
   * Cached credentials are forgotten once that transaction commits.
   */
  async revokeAllOwnedBy(
    userId: string,
    cause: OwnerKeysRevocation = { reason: 'owner_deactivated', actor: null, context: NO_REQUEST },
  ): Promise<number> {
    const now = new Date();
    const owned = await this.apiKeys.openOwnedBy(userId);
    // A credential is revoked with its key, so only open keys can have open credentials.
    if (owned.length === 0) {
      return 0;
    }
    await this.scimCredentials.revokeOwnedBy(userId, now);
    await this.apiKeys.revokeOwnedBy(userId, now);
    for (const { id, organizationId } of owned) {
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
      );
    }
    return owned.length;
  }

  /** The key named in `ss-api-key`, revoked or not (the guard tells the two apart for the audit trail). */
  async findSigningKey(key: string): Promise<SigningKey | null> {
    if (key.length > KEY_MAX_LENGTH) {
      return null;
    }
    const found = await this.apiKeys.findSigningKey(key);
    // Byte for byte: MySQL's collation would also match the key in another case.
    if (!found || found.apiKey.key !== key) {
      return null;
    }
    return { apiKey: found.apiKey, secret: this.crypto.decrypt(found.apiKey.secretCiphertext, found.apiKey.id), owner: found.owner };
  }

  markUsed(id: string, at: Date): Promise<void> {
    return this.apiKeys.markUsed(id, at);
  }

  private async findInOrganization(organizationId: string, apiKeyId: string): Promise<ApiKeyRecord> {
    const apiKey = await this.apiKeys.findInOrganization(organizationId, apiKeyId);
    if (!apiKey) {
      throw notFound('API key');
    }
    return apiKey;
  }
}
