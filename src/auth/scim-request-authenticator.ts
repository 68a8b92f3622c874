import { Injectable } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { requestContextOf } from '../common/request-context';
import { AuthFailureRecorder } from './auth-failure-recorder';
import { parseBasicAuthorization } from './basic-credentials';
import { timesSent } from './request-headers';
import { ScimPrincipal } from './principal';
import { ScimCredentialVerifier } from './scim-credential-verifier';

const DETAIL = 'Authentication failed: send the SCIM username and password of an active credential with HTTP Basic authentication.';

/**
 * HTTP Basic with a SCIM credential: one verification per request, every failure throttled and
 * audited. The early hook (before the body is read) verifies; the guard takes its result.
 */
@Injectable()
export class ScimRequestAuthenticator {
  private readonly verified = new WeakMap<FastifyRequest, ScimPrincipal>();

  constructor(
    private readonly verifier: ScimCredentialVerifier,
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
  private async authenticate(req: FastifyRequest): Promise<ScimPrincipal> {
    const header = req.headers.authorization;
    const repeated = timesSent(req, 'authorization') > 1;
    const credentials = repeated ? null : parseBasicAuthorization(header);
    const context = requestContextOf(req);
    if (!credentials) {
      const reason = repeated ? 'repeated_credentials' : header ? 'malformed_credentials' : 'missing_credentials';
      return this.failures.reject({ audience: 'scim', reason, claimedIdentity: null, organizationId: null }, context, DETAIL);
    }
    const result = await this.verifier.verify(credentials.username, credentials.password, req.hostname);
    if (result.ok) {
      return result.principal;
    }
    return this.failures.reject(
      { audience: 'scim', reason: result.reason, claimedIdentity: credentials.username, organizationId: result.organizationId, apiKeyId: result.apiKeyId },
      context,
      DETAIL,
    );
  }
}
