import { createParamDecorator, ExecutionContext } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';

/** Where a change came from, for the audit trail. */
export type RequestContext = {
  sourceAddress: string | null;
  requestId: string | null;
};

export function requestContextOf(req: FastifyRequest): RequestContext {
  return { sourceAddress: req.ip ?? null, requestId: typeof req.id === 'string' ? req.id : null };
}

export const CurrentRequest = createParamDecorator((_data: unknown, ctx: ExecutionContext): RequestContext =>
  requestContextOf(ctx.switchToHttp().getRequest<FastifyRequest>()),
);
