import { CanActivate, ExecutionContext, Injectable } from '@nestjs/common';
import { AuthenticatedRequest } from './principal';
import { ScimRequestAuthenticator } from './scim-request-authenticator';

/** HTTP Basic with a SCIM credential; usually already verified by the early hook, before the body. */
@Injectable()
export class ScimAuthGuard implements CanActivate {
  constructor(private readonly authenticator: ScimRequestAuthenticator) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const req = context.switchToHttp().getRequest<AuthenticatedRequest>();
    req.user = await this.authenticator.principalFor(req);
    return true;
  }
}
