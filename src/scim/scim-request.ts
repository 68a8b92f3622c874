import { createParamDecorator, ExecutionContext, SetMetadata } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { ScimException } from './scim-error';

const ACCEPTED_MEDIA_TYPES = ['application/scim+json', 'application/json'];

/** The JSON body of a SCIM write, refused with 415 unless sent as application/scim+json or application/json. */
export const ScimBody = createParamDecorator((_data: unknown, ctx: ExecutionContext): unknown => {
  const req = ctx.switchToHttp().getRequest<FastifyRequest>();
  const mediaType = req.headers['content-type']?.split(';')[0]?.trim().toLowerCase();
  if (mediaType === undefined || !ACCEPTED_MEDIA_TYPES.includes(mediaType)) {
    throw new ScimException(
      415,
      `Send the body as application/scim+json (or application/json), not ${req.headers['content-type'] ?? 'without a Content-Type'}.`,
    );
  }
  return req.body;
});

/** The version an If-Match header demands, or undefined when it demands none (absent or `*`). */
export const IfMatchVersion = createParamDecorator((_data: unknown, ctx: ExecutionContext): number | undefined => {
  const header = ctx.switchToHttp().getRequest<FastifyRequest>().headers['if-match'];
  if (header === undefined || header.trim() === '*') {
    return undefined;
  }
  const match = /^\s*(?:W\/)?"(\d{1,15})"/.exec(header);
  // An ETag this service never issued cannot match any version.
  return match ? Number(match[1]) : -1;
});

export function etagOf(version: number): string {
  return `W/"${version}"`;
}

/** The SCIM base URL as this request reached the service (behind a proxy: with TRUST_PROXY set). */
export const RequestScimBaseUrl = createParamDecorator((_data: unknown, ctx: ExecutionContext): string => {
  const req = ctx.switchToHttp().getRequest<FastifyRequest>();
  return `${req.protocol}://${req.headers.host ?? 'localhost'}/scim/v2`;
});

export const METHOD_NOT_ALLOWED = 'scim:methodNotAllowed';

/** Marks a handler that only answers 405 for its path: it never reads the id or the body. */
export const MethodNotAllowed = (): MethodDecorator => SetMetadata(METHOD_NOT_ALLOWED, true);
