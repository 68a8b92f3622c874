import type { FastifyRequest } from 'fastify';
import { ScimException } from '../errors/scim-exception';

/**
 * Nest would otherwise parse `application/x-www-form-urlencoded` on every route, decoding the
 * bytes unchecked (invalid UTF-8 became replacement characters in stored messages). No route
 * takes a form, so one is refused; an empty body reads as none, because tools such as
 * `curl -d ''` send this type on body-less POSTs.
 */
export function refuseFormBody(_request: FastifyRequest, body: Buffer, done: (error: Error | null, value?: unknown) => void): void {
  if (body.length > 0) {
    throw new ScimException(415, 'Forms are not accepted: send the body as JSON (application/json, or application/scim+json under /scim).');
  }
  done(null, {});
}
