import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { Database } from '../database/database';
import { CredentialCrypto } from '../secrets/credential-crypto';
import { ScimCredentialCache, ScimCredentialForAuth } from './scim-credential-cache';
import { ScimCredentialsRepository } from './scim-credentials.repository';

const USERNAME_BYTES = 15;
const PASSWORD_BYTES = 32;

/**
 * The SCIM username/password of API keys: issued and revoked for the key's administration, and
 * verified (through a cache) on every SCIM request. Every revocation makes each process forget its
 * cached credentials once the transaction it belongs to has committed.
 */
@Injectable()
export class ScimCredentialsService {
  constructor(
    private readonly database: Database,
    private readonly credentials: ScimCredentialsRepository,
    private readonly crypto: CredentialCrypto,
    private readonly cache: ScimCredentialCache,
  ) {}

  /** Replaces the key's credential with a new one; the password is returned here and never again. */
  async issue(apiKey: { id: string; organizationId: string }): Promise<{ username: string; password: string }> {
    const username = `scim_${CredentialCrypto.randomToken(USERNAME_BYTES)}`;
    const password = CredentialCrypto.randomToken(PASSWORD_BYTES);
    await this.credentials.deleteOfKey(apiKey.id);
    await this.credentials.insert({
      id: randomUUID(),
      organizationId: apiKey.organizationId,
      apiKeyId: apiKey.id,
      username,
      passwordHash: this.crypto.hashPassword(password),
      createdAt: new Date(),
    });
    await this.forgetCachedAfterCommit();
    return { username, password };
  }

  /** False when the key had no active credential. */
  async revokeOfKey(apiKeyId: string, now: Date): Promise<boolean> {
    const revoked = await this.credentials.revokeOfKey(apiKeyId, now);
    await this.forgetCachedAfterCommit();
    return revoked > 0;
  }

  /** Every credential of every key the user owns, in one statement. */
  async revokeOwnedBy(ownerUserId: string, now: Date): Promise<number> {
    const revoked = await this.credentials.revokeOwnedBy(ownerUserId, now);
    await this.forgetCachedAfterCommit();
    return revoked;
  }

  /** The SCIM hot path (every SCIM request): cached, else one indexed query. */
  findByUsername(username: string): Promise<ScimCredentialForAuth | null> {
    return this.cache.lookup(username, () => this.load(username));
  }

  markUsed(id: string, at: Date): Promise<void> {
    return this.credentials.markUsed(id, at);
  }

  private async load(username: string): Promise<ScimCredentialForAuth | null> {
    const found = await this.credentials.findForAuth(username);
    // Byte for byte: MySQL's collation would also match the name in another case.
    if (!found || found.username !== username) {
      return null;
    }
    return {
      id: found.id,
      organizationId: found.organizationId,
      organizationHostname: found.organizationHostname,
      apiKeyId: found.apiKeyId,
      passwordHash: found.passwordHash,
      lastUsedAt: found.lastUsedAt,
      revoked: found.credentialRevoked || found.apiKeyRevoked || !found.ownerActive || !found.ownerIsAdmin,
    };
  }

  /**
   * Also when the transaction rolls back nothing is lost by forgetting: the cache only saves reads.
   * Registered after commit, so no process reloads the old state before the change is visible.
   */
  private async forgetCachedAfterCommit(): Promise<void> {
    await this.database.afterCommit(() => this.cache.invalidate());
  }
}
