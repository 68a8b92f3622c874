import { Injectable } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { ApiKeysService, SigningKey } from '../api-keys/api-keys.service';
import { DomainError, DomainErrorCode } from '../common/domain-error';
import { requestContextOf } from '../common/request-context';
import { constantTimeEqual } from '../secrets/credential-crypto';
import { AuthFailure, AuthFailureRecorder } from './auth-failure-recorder';
import { AdminPrincipal } from './principal';
import { announcesBody, timesSent } from './request-headers';
import { RequestNonces } from './request-nonces';
import {
  CONTENT_SHA256_HEADER,
  isLowercaseHexSha256,
  isValidNonce,
  NONCE_RULE,
  parseSignatureTimestamp,
  sha256Hex,
  SIGNATURE_HEADERS,
  SIGNATURE_SCHEME,
  SIGNATURE_WINDOW_MS,
  signRequest,
} from './request-signature';
import { streamedBodyMediaType } from './streamed-body.decorator';

const HEADER_LIST = Object.values(SIGNATURE_HEADERS).join(', ');
const SCHEME_HINT = `Admin requests are signed with scheme ${SIGNATURE_SCHEME}: send ${HEADER_LIST}, the signature being the lowercase hex HMAC-SHA256 of key, METHOD, path with query, timestamp, nonce and the body's SHA-256, one per line (see /admin/docs).`;
const INVALID = `Invalid API key or request signature. ${SCHEME_HINT}`;
const REPLAYED = `This request was replayed: its ${SIGNATURE_HEADERS.nonce} was already used with this API key. Sign every request with a new random nonce.`;
const JSON_MEDIA_TYPE = /^application\/(?:[^;\s/]+\+)?json\s*(?:;|$)/i;
const EMPTY_BODY_SHA256 = sha256Hex('');

/** What was checked before the body: everything but the signature, which covers the body. */
type Prechecked = SigningKey & { timestamp: string; signedAt: number; nonce: string; signature: string };

export type AuthenticatedAdmin = { principal: AdminPrincipal; lastUsedAt: Date | null };

/**
 * Signed admin requests (scheme v2). Before the body is read (the early hook): the headers, the
 * timestamp window, the key and its owner, the media type. After (the guard): the signature over
 * the method, path, timestamp, nonce and body digest, then the nonce, consumed only by a request
 * proven authentic. The guard verifies everything itself when the hook did not run.
 */
@Injectable()
export class AdminRequestAuthenticator {
  private readonly prechecked = new WeakMap<FastifyRequest, Prechecked>();
  private readonly authenticated = new WeakMap<FastifyRequest, AuthenticatedAdmin>();

  constructor(
    private readonly apiKeys: ApiKeysService,
    private readonly failures: AuthFailureRecorder,
    private readonly nonces: RequestNonces,
  ) {}

  /**
   * Before the body is read. A streamed route's signature covers the digest header, not the body,
   * so it is verified completely here; elsewhere everything but the signature is.
   */
  async authenticateEarly(req: FastifyRequest): Promise<void> {
    const checked = await this.precheck(req);
    if (streamedBodyMediaType(req) === undefined) {
      this.prechecked.set(req, checked);
    } else {
      this.authenticated.set(req, await this.verify(req, checked));
    }
  }

  /** The guard's answer: the principal, or throws 401/415/429. */
  async authenticate(req: FastifyRequest & { rawBody?: Buffer | string }): Promise<AuthenticatedAdmin> {
    return this.authenticated.get(req) ?? this.verify(req, this.prechecked.get(req) ?? (await this.precheck(req)));
  }

  /** The signature over the method, path, timestamp, nonce and body digest; then the nonce, spent. */
  private async verify(req: FastifyRequest & { rawBody?: Buffer | string }, checked: Prechecked): Promise<AuthenticatedAdmin> {
    const { apiKey, secret, owner, timestamp, nonce, signature } = checked;
    const expected = signRequest(secret, {
      key: apiKey.key,
      method: req.method,
      pathWithQuery: req.url,
      timestamp,
      nonce,
      bodySha256: bodySha256Of(req),
    });
    if (!constantTimeEqual(signature, expected)) {
      return this.reject(req, 'bad_signature', INVALID, apiKey.key, checked);
    }
    if (!(await this.nonces.consume(apiKey.id, nonce, checked.signedAt))) {
      return this.reject(req, 'replayed', REPLAYED, apiKey.key, checked);
    }
    return {
      principal: { kind: 'admin', organizationId: apiKey.organizationId, userId: owner.id, apiKeyId: apiKey.id },
      lastUsedAt: apiKey.lastUsedAt,
    };
  }

  private async precheck(req: FastifyRequest): Promise<Prechecked> {
    const headers = Object.values(SIGNATURE_HEADERS);
    const [key, timestamp, nonce, signature] = headers.map((name) => singleHeader(req.headers[name]));
    if ([...headers, CONTENT_SHA256_HEADER].some((name) => timesSent(req, name) > 1)) {
      return this.reject(
        req,
        'repeated_headers',
        `Send each of ${HEADER_LIST} and ${CONTENT_SHA256_HEADER} at most once. ${SCHEME_HINT}`,
        null,
      );
    }
    if (!key || !timestamp || !signature) {
      return this.reject(req, 'missing_headers', SCHEME_HINT, key ?? null);
    }
    if (!nonce) {
      return this.reject(req, 'missing_nonce', SCHEME_HINT, key);
    }
    const signedAt = parseSignatureTimestamp(timestamp);
    if (signedAt === null) {
      return this.reject(
        req,
        'malformed_timestamp',
        `${SIGNATURE_HEADERS.timestamp} must be an ISO-8601 UTC time such as 2026-11-28T10:00:00Z.`,
        key,
      );
    }
    if (Math.abs(Date.now() - signedAt) > SIGNATURE_WINDOW_MS) {
      return this.reject(
        req,
        'timestamp_outside_window',
        `${SIGNATURE_HEADERS.timestamp} is more than 5 minutes from the server's time.`,
        key,
      );
    }
    if (!isValidNonce(nonce)) {
      return this.reject(req, 'malformed_nonce', `${SIGNATURE_HEADERS.nonce} must be ${NONCE_RULE}, new for every request.`, key);
    }
    const signingKey = await this.apiKeys.findSigningKey(key);
    if (!signingKey) {
      return this.reject(req, 'unknown_key', INVALID, key);
    }
    const known = { apiKey: signingKey.apiKey };
    if (!isLowercaseHexSha256(signature)) {
      return this.reject(req, 'bad_signature', INVALID, key, known);
    }
    if (signingKey.apiKey.revokedAt !== null) {
      return this.reject(req, 'revoked_key', INVALID, key, known);
    }
    const { owner } = signingKey;
    if (!owner.active || owner.role !== 'admin' || owner.deletedAt !== null) {
      return this.reject(req, 'owner_not_admin', INVALID, key, known);
    }
    assertMediaType(req);
    return { ...signingKey, timestamp, signedAt, nonce, signature };
  }

  private reject(
    req: FastifyRequest,
    reason: string,
    detail: string,
    claimedKey: string | null,
    known?: Pick<SigningKey, 'apiKey'>,
  ): Promise<never> {
    const failure: AuthFailure = {
      audience: 'admin',
      reason,
      claimedIdentity: claimedKey,
      organizationId: known?.apiKey.organizationId ?? null,
      apiKeyId: known?.apiKey.id ?? null,
    };
    return this.failures.reject(failure, requestContextOf(req), detail);
  }
}

/** JSON bodies everywhere, or the media type a streamed route takes; checked before the signature. */
function assertMediaType(req: FastifyRequest): void {
  if (!announcesBody(req)) {
    return;
  }
  const contentType = req.headers['content-type'] ?? '';
  const streamed = streamedBodyMediaType(req);
  if (streamed !== undefined) {
    if (contentType.split(';', 1)[0]?.trim().toLowerCase() !== streamed) {
      throw new DomainError(DomainErrorCode.UnsupportedMediaType, `Upload the raw bytes as ${streamed} (Content-Type: ${streamed}).`);
    }
    return;
  }
  if (!JSON_MEDIA_TYPE.test(contentType)) {
    throw new DomainError(
      DomainErrorCode.UnsupportedMediaType,
      'Admin API request bodies are JSON: send them with Content-Type: application/json.',
    );
  }
}

/**
 * The SHA-256 the signature covers: of the raw body, or on a streamed route the client's
 * `ss-content-sha256` (the handler refuses content that does not hash to it). Nothing read and no
 * digest: the empty body's.
 */
function bodySha256Of(req: FastifyRequest & { rawBody?: Buffer | string }): string {
  if (streamedBodyMediaType(req) !== undefined) {
    const digest = singleHeader(req.headers[CONTENT_SHA256_HEADER]);
    return digest !== undefined && isLowercaseHexSha256(digest) ? digest : EMPTY_BODY_SHA256;
  }
  return req.rawBody === undefined ? EMPTY_BODY_SHA256 : sha256Hex(req.rawBody);
}

function singleHeader(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? undefined : value?.trim() || undefined;
}
