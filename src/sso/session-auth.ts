import {
  applyDecorators,
  CanActivate,
  createParamDecorator,
  ExecutionContext,
  Injectable,
  SetMetadata,
  UnauthorizedException,
  UseGuards,
} from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { AUTH_KIND, AuthKind } from '../auth/auth-kind.decorator';
import { SessionAuthenticator, SignedIn } from './session-authenticator';
import { SessionCookie } from './session-cookie';

type SessionRequest = FastifyRequest & { signedIn?: SignedIn };

/** Refuses a request without a valid session (401), clearing a cookie that no longer signs anyone in. */
@Injectable()
export class SessionGuard implements CanActivate {
  constructor(
    private readonly authenticator: SessionAuthenticator,
    private readonly cookie: SessionCookie,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const http = context.switchToHttp();
    const request = http.getRequest<SessionRequest>();
    const token = this.cookie.tokenOf(request.headers.cookie);
    const signedIn = await this.authenticator.authenticate(token, request.hostname);
    if (!signedIn) {
      if (token !== null) {
        void http.getResponse<FastifyReply>().header('Set-Cookie', this.cookie.clear());
      }
      throw new UnauthorizedException(
        'Sign in first: no valid session (it may have expired, been signed out, or the account deactivated).',
      );
    }
    request.signedIn = signedIn;
    return true;
  }
}

/** A route for a signed-in person: the session cookie is checked on every request. */
export const SessionAuth = (): MethodDecorator & ClassDecorator =>
  applyDecorators(SetMetadata(AUTH_KIND, 'session' satisfies AuthKind), UseGuards(SessionGuard));

/** A SAML service-provider endpoint: no credential, the organization comes from the host. */
export const SsoEndpoint = (): MethodDecorator & ClassDecorator => SetMetadata(AUTH_KIND, 'sso' satisfies AuthKind);

export const CurrentSignIn = createParamDecorator((_data: unknown, context: ExecutionContext): SignedIn => {
  const signedIn = context.switchToHttp().getRequest<SessionRequest>().signedIn;
  if (!signedIn) {
    throw new Error('route has no session: declare @SessionAuth()');
  }
  return signedIn;
});
