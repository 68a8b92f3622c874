import { createParamDecorator, ExecutionContext } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';

/** An administrator acting through a signed admin API request. */
export type AdminPrincipal = { kind: 'admin'; organizationId: string; userId: string; apiKeyId: string };

/** An identity provider acting through a SCIM credential. */
export type ScimPrincipal = { kind: 'scim'; organizationId: string; apiKeyId: string; credentialId: string };

export type Principal = AdminPrincipal | ScimPrincipal;

export type AuthenticatedRequest = FastifyRequest & { user?: Principal };

function principalOf<K extends Principal['kind']>(ctx: ExecutionContext, kind: K): Extract<Principal, { kind: K }> {
  const principal = ctx.switchToHttp().getRequest<AuthenticatedRequest>().user;
  if (principal?.kind !== kind) {
    // A handler asked for a principal its route's guard does not establish: a wiring bug.
    throw new Error(`route has no ${kind} principal`);
  }
  return principal as Extract<Principal, { kind: K }>;
}

export const CurrentAdmin = createParamDecorator((_data: unknown, ctx: ExecutionContext) => principalOf(ctx, 'admin'));
export const CurrentScimClient = createParamDecorator((_data: unknown, ctx: ExecutionContext) => principalOf(ctx, 'scim'));
