import { Injectable, Logger } from '@nestjs/common';
import { AuditService } from '../audit/audit.service';
import { RequestContext } from '../common/request-context';
import { AuthFailureMetrics } from '../metrics/auth-failure.metrics';
import { AuthAudience, AuthenticationFailedException, AuthThrottledException } from './auth-exceptions';
import { FailedAuthThrottle } from './failed-auth-throttle';

export type AuthFailure = {
  audience: AuthAudience;
  /** A short, secret-free reason for the audit trail, e.g. `wrong_password`. */
  reason: string;
  /** The username or API key the request claimed, if any (never a password or signature). */
  claimedIdentity: string | null;
  /** Known when the claimed identity exists. */
  organizationId: string | null;
  apiKeyId?: string | null;
};

/**
 * Answers a failed authentication, and only a failed one: 429 while its address is over its limit
 * (refused cheaply: counted in metrics only), else counted, audited, and 429 past the username's
 * limit or 401.
 */
@Injectable()
export class AuthFailureRecorder {
  private readonly logger = new Logger(AuthFailureRecorder.name);

  constructor(
    private readonly throttle: FailedAuthThrottle,
    private readonly audit: AuditService,
    private readonly metrics: AuthFailureMetrics,
  ) {}

  async reject(failure: AuthFailure, context: RequestContext, detail: string): Promise<never> {
    this.metrics.record(failure.audience, failure.reason);
    const address = context.sourceAddress ?? undefined;
    const addressRetryAfter = await this.throttle.addressRetryAfter(address);
    if (addressRetryAfter !== null) {
      throw new AuthThrottledException(addressRetryAfter);
    }
    const usernameRetryAfter = await this.throttle.recordFailure(address, failure.claimedIdentity);
    try {
      await this.audit.record(
        {
          organizationId: failure.organizationId,
          type: 'auth.failed',
          actorApiKeyId: failure.apiKeyId ?? null,
          targetType: failure.audience === 'scim' ? 'scim_username' : 'api_key',
          targetId: failure.claimedIdentity,
          detail: `${failure.audience}:${failure.reason}`,
        },
        context,
      );
    } catch (error) {
      this.logger.error(`could not audit a failed authentication: ${String(error)}`);
    }
    if (usernameRetryAfter !== null) {
      throw new AuthThrottledException(usernameRetryAfter);
    }
    throw new AuthenticationFailedException(failure.audience, detail);
  }
}
