import { createParamDecorator, ExecutionContext } from '@nestjs/common';
import type { Request } from 'express';

/** Where a change came from, for the audit trail. */
export type RequestContext = {
  sourceAddress: string | null;
  requestId: string | null;
};

export function requestContextOf(req: Request): RequestContext {
  const id = (req as Request & { id?: unknown }).id;
  return { sourceAddress: req.ip ?? null, requestId: typeof id === 'string' ? id : null };
}

export const CurrentRequest = createParamDecorator(
  (_data: unknown, ctx: ExecutionContext): RequestContext => requestContextOf(ctx.switchToHttp().getRequest<Request>()),
);
