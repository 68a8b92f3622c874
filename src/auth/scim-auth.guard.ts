import { ExecutionContext, Injectable, UnauthorizedException } from '@nestjs/common';
import { AuthGuard } from '@nestjs/passport';
import { requestContextOf } from '../common/request-context';
import { AuthFailureRecorder } from './auth-failure-recorder';
import { AuthenticatedRequest } from './principal';
import { RequestWithScimFailure, SCIM_BASIC_STRATEGY } from './scim-basic.strategy';

const DETAIL = 'Authentication failed: send the SCIM username and password of an active credential with HTTP Basic authentication.';

/** HTTP Basic through passport-http, plus failure throttling and auditing. */
@Injectable()
export class ScimAuthGuard extends AuthGuard(SCIM_BASIC_STRATEGY) {
  constructor(private readonly failures: AuthFailureRecorder) {
    super();
  }

  override async canActivate(context: ExecutionContext): Promise<boolean> {
    const req = context.switchToHttp().getRequest<AuthenticatedRequest & RequestWithScimFailure>();
    const requestContext = requestContextOf(req);
    await this.failures.assertAddressAllowed(requestContext);
    try {
      return (await super.canActivate(context)) as boolean;
    } catch (error) {
      if (!(error instanceof UnauthorizedException)) {
        throw error;
      }
      const failure = req.scimAuthFailure;
      return this.failures.reject(
        {
          audience: 'scim',
          reason: failure?.reason ?? (req.headers.authorization ? 'malformed_credentials' : 'missing_credentials'),
          claimedIdentity: failure?.username ?? null,
          organizationId: failure?.organizationId ?? null,
          apiKeyId: failure?.apiKeyId ?? null,
        },
        requestContext,
        DETAIL,
      );
    }
  }
}
