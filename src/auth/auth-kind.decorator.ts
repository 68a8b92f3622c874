import { applyDecorators, SetMetadata, UseGuards, UseInterceptors } from '@nestjs/common';
import { ApiSecurity } from '@nestjs/swagger';
import { AUTH_KIND, PublicRoute } from '../common/public-route';
import { AdminSignatureGuard } from './admin-signature.guard';
import { SIGNATURE_HEADERS } from './request-signature';
import { ScimAuthGuard } from './scim-auth.guard';
import { ScimRequestLimitInterceptor } from './scim-request-limit.interceptor';

export { AUTH_KIND, PublicRoute };

/** Every route declares one of these (PublicRoute, AdminAuth, ...); DeclaredAuthGuard refuses any route that does not. */
// sso: SAML service-provider endpoints (the organization comes from the host; the ACS checks the posted
// assertion itself); session: a sign-in session cookie (src/sso/session-auth.ts); console: a web console
// page, whose session cookie src/console/console-gate.ts checks (signed-out visitors go to /login).
export type AuthKind = 'public' | 'admin' | 'scim' | 'sso' | 'session' | 'console';

export const AdminAuth = (): MethodDecorator & ClassDecorator =>
  applyDecorators(
    SetMetadata(AUTH_KIND, 'admin' satisfies AuthKind),
    UseGuards(AdminSignatureGuard),
    // One requirement naming every header: all of them, not any one (as separate decorators would say).
    ApiSecurity(Object.fromEntries(Object.values(SIGNATURE_HEADERS).map((header) => [header, []]))),
  );

/** SCIM Basic authentication, then the credential's turn (ScimRequestLimiter). */
export const ScimAuth = (): MethodDecorator & ClassDecorator =>
  applyDecorators(
    SetMetadata(AUTH_KIND, 'scim' satisfies AuthKind),
    UseGuards(ScimAuthGuard),
    UseInterceptors(ScimRequestLimitInterceptor),
  );
