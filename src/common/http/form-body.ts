import { isUtf8 } from 'node:buffer';
import type { FastifyRequest } from 'fastify';
import { RequestProblem } from '../errors/request-problem';

type Done = (error: Error | null, value?: unknown) => void;

/**
 * Nest would otherwise parse `application/x-www-form-urlencoded` on every route, decoding the
 * bytes unchecked (invalid UTF-8 became replacement characters in stored messages). Only the
 * routes in `formRoutes` (route templates: the SAML ACS, where identity providers post forms)
 * take a form, decoded strictly: UTF-8 only, each field once. Elsewhere a form is refused; an
 * empty body reads as none, because tools such as `curl -d ''` send this type on body-less POSTs.
 */
export function formBodyParser(formRoutes: ReadonlySet<string>): (request: FastifyRequest, body: Buffer, done: Done) => void {
  return (request, body, done) => {
    if (body.length === 0) {
      done(null, {});
      return;
    }
    if (!formRoutes.has(request.routeOptions.url ?? '')) {
      throw new RequestProblem(
        415,
        'Forms are not accepted: send the body as JSON (application/json, or application/scim+json under /scim).',
      );
    }
    if (!isUtf8(body)) {
      throw new RequestProblem(400, 'The form is not valid UTF-8.');
    }
    const fields: Record<string, string> = Object.create(null) as Record<string, string>;
    for (const [name, value] of new URLSearchParams(body.toString('utf8'))) {
      if (Object.hasOwn(fields, name)) {
        throw new RequestProblem(400, `The form field ${JSON.stringify(name.slice(0, 40))} is given more than once.`);
      }
      fields[name] = value;
    }
    done(null, fields);
  };
}
