import { Injectable } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import passport from 'passport';
import { requestContextOf } from '../common/request-context';
import { AuthFailureRecorder } from './auth-failure-recorder';
import { ScimPrincipal } from './principal';
import { timesSent } from './request-headers';
import { RequestWithScimFailure, SCIM_BASIC_STRATEGY, ScimBasicStrategy } from './scim-basic.strategy';

const DETAIL = 'Authentication failed: send the SCIM username and password of an active credential with HTTP Basic authentication.';

/**
 * HTTP Basic with a SCIM credential: one verification per request, every failure throttled and
 * audited. The early hook (before the body is read) verifies; the guard takes its result.
 */
@Injectable()
export class ScimRequestAuthenticator {
  private readonly verified = new WeakMap<FastifyRequest, ScimPrincipal>();

  // The strategy must exist (passport finds it by name) before the first request.
  constructor(
    _strategy: ScimBasicStrategy,
    private readonly failures: AuthFailureRecorder,
  ) {}

  /** Before the body is read: verifies, and keeps the principal for the guard. */
  async authenticateEarly(req: FastifyRequest): Promise<void> {
    this.verified.set(req, await this.authenticate(req));
  }

  /** The guard's answer: what the early hook verified, else a verification of its own. */
  async principalFor(req: FastifyRequest): Promise<ScimPrincipal> {
    return this.verified.get(req) ?? this.authenticate(req);
  }

  /** The principal, or throws 401/429 once the failure is counted and audited. */
  private async authenticate(req: FastifyRequest & RequestWithScimFailure): Promise<ScimPrincipal> {
    const header = req.headers.authorization;
    const context = requestContextOf(req);
    if (timesSent(req, 'authorization') > 1) {
      return this.failures.reject(
        { audience: 'scim', reason: 'repeated_credentials', claimedIdentity: null, organizationId: null },
        context,
        DETAIL,
      );
    }
    const principal = await verifiedByPassport(req);
    if (principal) {
      return principal;
    }
    const failure = req.scimAuthFailure;
    if (!failure) {
      const reason = header ? 'malformed_credentials' : 'missing_credentials';
      return this.failures.reject({ audience: 'scim', reason, claimedIdentity: null, organizationId: null }, context, DETAIL);
    }
    return this.failures.reject(
      {
        audience: 'scim',
        reason: failure.reason,
        claimedIdentity: failure.username,
        organizationId: failure.organizationId,
        apiKeyId: failure.apiKeyId,
      },
      context,
      DETAIL,
    );
  }
}

/**
 * Runs the passport-http Basic strategy (ScimBasicStrategy) on the request: the principal, or null
 * when the header is missing or malformed (then nothing is left on the request) or the verifier
 * refused it (then `scimAuthFailure` says why). No session, no response written: this service
 * answers failures itself.
 */
function verifiedByPassport(req: FastifyRequest): Promise<ScimPrincipal | null> {
  return new Promise((resolve, reject) => {
    const fail = (error: unknown): void =>
      reject(error instanceof Error ? error : new Error('SCIM Basic authentication failed unexpectedly'));
    const authenticate = passport.authenticate(SCIM_BASIC_STRATEGY, { session: false }, (error: unknown, user: ScimPrincipal | false) =>
      error ? fail(error) : resolve(user || null),
    ) as (req: unknown, res: unknown, next: (error?: unknown) => void) => void;
    authenticate(req, undefined, fail);
  });
}
