import { Injectable } from '@nestjs/common';
import { Settings } from '../config/settings';
import { ScimCredentialsService } from '../scim-credentials/scim-credentials.service';
import { CredentialCrypto } from '../secrets/credential-crypto';
import { LastUsedTracker } from './last-used-tracker';
import { ScimPrincipal } from './principal';

export type ScimVerification =
  | { ok: true; principal: ScimPrincipal }
  | {
      ok: false;
      reason: 'unknown_username' | 'wrong_password' | 'revoked' | 'wrong_hostname';
      organizationId: string | null;
      apiKeyId: string | null;
    };

// Hashing this for unknown usernames makes them cost what a wrong password costs.
const TIMING_PAD_HASH = '0'.repeat(64);

/** Checks a SCIM username/password: one indexed lookup and one HMAC, no slow hash. */
@Injectable()
export class ScimCredentialVerifier {
  constructor(
    private readonly scimCredentials: ScimCredentialsService,
    private readonly crypto: CredentialCrypto,
    private readonly lastUsed: LastUsedTracker,
    private readonly settings: Settings,
  ) {}

  /** `hostname`: the host the request was sent to, checked when SCIM_REQUIRE_ORGANIZATION_HOSTNAME is on. */
  async verify(username: string, password: string, hostname?: string): Promise<ScimVerification> {
    const credential = username.length <= 64 ? await this.scimCredentials.findByUsername(username) : null;
    const passwordMatches = this.crypto.verifyPassword(password, credential?.passwordHash ?? TIMING_PAD_HASH);
    if (!credential) {
      return { ok: false, reason: 'unknown_username', organizationId: null, apiKeyId: null };
    }
    const refusal = { ok: false as const, organizationId: credential.organizationId, apiKeyId: credential.apiKeyId };
    if (!passwordMatches) {
      return { ...refusal, reason: 'wrong_password' };
    }
    if (credential.revoked) {
      return { ...refusal, reason: 'revoked' };
    }
    if (this.settings.scimRequireOrganizationHostname && hostname?.toLowerCase() !== credential.organizationHostname) {
      return { ...refusal, reason: 'wrong_hostname' };
    }
    this.lastUsed.touch('scim_credential', credential.id, credential.lastUsedAt);
    return {
      ok: true,
      principal: { kind: 'scim', organizationId: credential.organizationId, apiKeyId: credential.apiKeyId, credentialId: credential.id },
    };
  }
}
