import { setTimeout as sleep } from 'node:timers/promises';
import { Injectable } from '@nestjs/common';
import { DataKeyRotation } from '../content-encryption/data-key-rotation';
import { Database } from '../database/database';
import { CredentialCrypto } from '../secrets/credential-crypto';
import { ServerKeyNotConfiguredError, ServerKeyRing } from '../secrets/server-key-ring';
import { CredentialSecretsRepository } from './credential-secrets.repository';

export type RotationOptions = { readonly batchSize: number; readonly pauseMs: number };
export type RotationProgress = { readonly stage: 'data keys' | 'API key secrets'; readonly done: number; readonly total: number };

/** What a rotation had to leave where it was, counted by why and by the server key it needs. */
export type Skipped = {
  readonly reason: 'server-key-not-configured' | 'does-not-authenticate';
  readonly serverKeyId: string | null;
  count: number;
};

/** SCIM credentials still in use, by the server key their password hash was made under. */
export type ScimCredentialKeys = {
  readonly active: number;
  readonly underCurrentKey: number;
  /** API keys whose SCIM credential needs the listed previous key, or an unknown one, to verify. */
  readonly needingReplacement: readonly { apiKeyId: string; serverKeyId: string | null }[];
};

export type RotationReport = {
  readonly serverKeyId: string;
  readonly dataKeys: { readonly rewrapped: number; readonly skipped: readonly Skipped[] };
  readonly apiKeySecrets: { readonly reencrypted: number; readonly skipped: readonly Skipped[] };
  readonly scimCredentials: ScimCredentialKeys;
  /** True when nothing the command can move is left under a previous key. */
  readonly complete: boolean;
};

/**
 * Moves what the server keys protect to the current one (ENCRYPTION_KEY) from the previous ones
 * (ENCRYPTION_KEYS_PREVIOUS): every user's data key is re-wrapped and every API key secret
 * re-encrypted, a batch per transaction, so it can be interrupted at any point and run again.
 * SCIM password hashes cannot be re-made without the passwords: it reports which credentials still
 * need a previous key, to be replaced before that key is removed.
 */
@Injectable()
export class KeyRotationService {
  constructor(
    private readonly database: Database,
    private readonly dataKeys: DataKeyRotation,
    private readonly secrets: CredentialSecretsRepository,
    private readonly crypto: CredentialCrypto,
    private readonly serverKeys: ServerKeyRing,
  ) {}

  async rotate(options: RotationOptions, onProgress: (progress: RotationProgress) => void): Promise<RotationReport> {
    const dataKeys = await this.rewrapDataKeys(options, onProgress);
    const apiKeySecrets = await this.reencryptApiKeySecrets(options, onProgress);
    return {
      serverKeyId: this.serverKeys.current.id,
      dataKeys,
      apiKeySecrets,
      scimCredentials: await this.scimCredentialKeys(),
      complete: dataKeys.skipped.length === 0 && apiKeySecrets.skipped.length === 0,
    };
  }

  private async rewrapDataKeys(
    options: RotationOptions,
    onProgress: (progress: RotationProgress) => void,
  ): Promise<RotationReport['dataKeys']> {
    const total = [...(await this.dataKeys.notUnderCurrentKey()).values()].reduce((sum, count) => sum + count, 0);
    let [rewrapped, done] = [0, 0];
    const skipped = new SkippedTally();
    let afterId = '';
    onProgress({ stage: 'data keys', done: 0, total });
    for (;;) {
      const batch = await this.dataKeys.rewrapBatch(afterId, options.batchSize);
      if (batch.lastId === null) {
        return { rewrapped, skipped: skipped.list() };
      }
      afterId = batch.lastId;
      rewrapped += batch.rewrapped;
      done += batch.rewrapped + batch.changed + batch.skipped.length;
      for (const key of batch.skipped) {
        skipped.add(key.reason, key.serverKeyId);
      }
      onProgress({ stage: 'data keys', done, total: Math.max(total, done) });
      await sleep(options.pauseMs);
    }
  }

  private async reencryptApiKeySecrets(
    options: RotationOptions,
    onProgress: (progress: RotationProgress) => void,
  ): Promise<RotationReport['apiKeySecrets']> {
    const total = await this.secrets.countApiKeySecrets();
    let reencrypted = 0;
    let seen = 0;
    const skipped = new SkippedTally();
    let afterId = '';
    onProgress({ stage: 'API key secrets', done: 0, total });
    for (;;) {
      const batch = await this.database.transaction(async () => {
        const secrets = await this.secrets.lockApiKeySecrets(afterId, options.batchSize);
        for (const secret of secrets) {
          if (this.crypto.isUnderCurrentKey(secret.secretCiphertext)) {
            continue;
          }
          const plaintext = this.open(secret.id, secret.secretCiphertext, skipped);
          if (plaintext !== null && (await this.secrets.replaceApiKeySecret(secret, this.crypto.encrypt(plaintext, secret.id)))) {
            reencrypted += 1;
          }
        }
        return secrets;
      });
      if (batch.length === 0) {
        return { reencrypted, skipped: skipped.list() };
      }
      afterId = batch[batch.length - 1]?.id ?? afterId;
      seen += batch.length;
      onProgress({ stage: 'API key secrets', done: seen, total: Math.max(total, seen) });
      await sleep(options.pauseMs);
    }
  }

  private open(apiKeyId: string, sealed: string, skipped: SkippedTally): string | null {
    try {
      return this.crypto.decrypt(sealed, apiKeyId);
    } catch (error) {
      const notConfigured = error instanceof ServerKeyNotConfiguredError;
      skipped.add(notConfigured ? 'server-key-not-configured' : 'does-not-authenticate', notConfigured ? error.serverKeyId : null);
      return null;
    }
  }

  private async scimCredentialKeys(): Promise<ScimCredentialKeys> {
    const hashes = await this.secrets.activeScimPasswordHashes();
    const current = this.serverKeys.current.id;
    // A hash from before hashes were tagged was made under whichever key was ENCRYPTION_KEY then:
    // the current one, unless a rotation is under way.
    const untaggedIsCurrent = this.serverKeys.previous.length === 0;
    const needingReplacement = hashes
      .map(({ apiKeyId, passwordHash }) => ({ apiKeyId, serverKeyId: this.crypto.passwordHashServerKeyId(passwordHash) }))
      .filter(({ serverKeyId }) => serverKeyId !== current && !(serverKeyId === null && untaggedIsCurrent));
    return { active: hashes.length, underCurrentKey: hashes.length - needingReplacement.length, needingReplacement };
  }
}

class SkippedTally {
  private readonly counts = new Map<string, Skipped>();

  add(reason: Skipped['reason'], serverKeyId: string | null): void {
    const key = `${reason} ${serverKeyId}`;
    const entry = this.counts.get(key) ?? { reason, serverKeyId, count: 0 };
    entry.count += 1;
    this.counts.set(key, entry);
  }

  list(): Skipped[] {
    return [...this.counts.values()];
  }
}
