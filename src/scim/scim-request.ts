import { createParamDecorator, ExecutionContext } from '@nestjs/common';
import type { Request } from 'express';
import { ScimException } from '../common/errors/scim-exception';

const ACCEPTED_MEDIA_TYPES = ['application/scim+json', 'application/json'];

/** The JSON body of a SCIM write, refused with 415 unless sent as application/scim+json or application/json. */
export const ScimBody = createParamDecorator((_data: unknown, ctx: ExecutionContext): unknown => {
  const req = ctx.switchToHttp().getRequest<Request & { body?: unknown }>();
  if (!req.is(ACCEPTED_MEDIA_TYPES)) {
    throw new ScimException(415, `Send the body as application/scim+json (or application/json), not ${req.headers['content-type'] ?? 'without a Content-Type'}.`);
  }
  return req.body;
});

/** The version an If-Match header demands, or undefined when it demands none (absent or `*`). */
export const IfMatchVersion = createParamDecorator((_data: unknown, ctx: ExecutionContext): number | undefined => {
  const header = ctx.switchToHttp().getRequest<Request>().headers['if-match'];
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
  const req = ctx.switchToHttp().getRequest<Request>();
  return `${req.protocol}://${req.get('host') ?? 'localhost'}/scim/v2`;
});
