import { CanActivate, ExecutionContext, Injectable } from '@nestjs/common';
import { AdminRequestAuthenticator } from './admin-request-authenticator';
import { LastUsedTracker } from './last-used-tracker';
import { AuthenticatedRequest } from './principal';

/** Verifies a signed admin request (scheme v2) and establishes an AdminPrincipal. */
@Injectable()
export class AdminSignatureGuard implements CanActivate {
  constructor(
    private readonly authenticator: AdminRequestAuthenticator,
    private readonly lastUsed: LastUsedTracker,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const req = context.switchToHttp().getRequest<AuthenticatedRequest & { rawBody?: Buffer }>();
    const { principal, lastUsedAt } = await this.authenticator.authenticate(req);
    this.lastUsed.touch('api_key', principal.apiKeyId, lastUsedAt);
    req.user = principal;
    return true;
  }
}
