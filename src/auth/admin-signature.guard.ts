import { CanActivate, ExecutionContext, ForbiddenException, Injectable } from '@nestjs/common';
import { ApiKeysService } from '../api-keys/api-keys.service';
import { requestContextOf } from '../common/request-context';
import { constantTimeEqual } from '../secrets/credential-crypto';
import { AuthFailureRecorder } from './auth-failure-recorder';
import { LastUsedTracker } from './last-used-tracker';
import { AuthenticatedRequest } from './principal';
import { isLowercaseHexSha256, parseSignatureTimestamp, SIGNATURE_HEADERS, SIGNATURE_WINDOW_MS, signRequest } from './request-signature';

const INVALID = 'Invalid API key or request signature.';

/** Verifies the signed-request scheme of the admin API and establishes an AdminPrincipal. */
@Injectable()
export class AdminSignatureGuard implements CanActivate {
  constructor(
    private readonly apiKeys: ApiKeysService,
    private readonly failures: AuthFailureRecorder,
    private readonly lastUsed: LastUsedTracker,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const req = context.switchToHttp().getRequest<AuthenticatedRequest & { rawBody?: Buffer }>();
    const requestContext = requestContextOf(req);
    await this.failures.assertAddressAllowed(requestContext);

    const key = singleHeader(req.headers[SIGNATURE_HEADERS.key]);
    const timestamp = singleHeader(req.headers[SIGNATURE_HEADERS.timestamp]);
    const signature = singleHeader(req.headers[SIGNATURE_HEADERS.signature]);
    const reject = (reason: string, detail: string, organizationId: string | null = null, apiKeyId: string | null = null): Promise<never> =>
      this.failures.reject({ audience: 'admin', reason, claimedIdentity: key ?? null, organizationId, apiKeyId }, requestContext, detail);

    if (!key || !timestamp || !signature) {
      return reject('missing_headers', `Signed requests need the ${Object.values(SIGNATURE_HEADERS).join(', ')} headers.`);
    }
    const signedAt = parseSignatureTimestamp(timestamp);
    if (signedAt === null) {
      return reject('malformed_timestamp', `${SIGNATURE_HEADERS.timestamp} must be an ISO-8601 UTC time such as 2026-11-28T10:00:00Z.`);
    }
    if (Math.abs(Date.now() - signedAt) > SIGNATURE_WINDOW_MS) {
      return reject('timestamp_outside_window', `${SIGNATURE_HEADERS.timestamp} is more than 5 minutes from the server's time.`);
    }
    const signingKey = await this.apiKeys.findSigningKey(key);
    if (!signingKey) {
      return reject('unknown_key', INVALID);
    }
    const { apiKey, secret, owner } = signingKey;
    const expected = signRequest(secret, key, req.originalUrl, timestamp, req.rawBody ?? '');
    if (!isLowercaseHexSha256(signature) || !constantTimeEqual(signature, expected)) {
      return reject('bad_signature', INVALID, apiKey.organizationId, apiKey.id);
    }
    if (apiKey.revokedAt !== null) {
      return reject('revoked_key', INVALID, apiKey.organizationId, apiKey.id);
    }
    if (!owner.active || owner.role !== 'admin') {
      throw new ForbiddenException("This API key's owner is not an active administrator of the organization.");
    }
    this.lastUsed.touch('api_key', apiKey.id, apiKey.lastUsedAt);
    req.user = { kind: 'admin', organizationId: apiKey.organizationId, userId: owner.id, apiKeyId: apiKey.id };
    return true;
  }
}

function singleHeader(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? undefined : value?.trim() || undefined;
}
