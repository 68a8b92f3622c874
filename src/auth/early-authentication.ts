import type { IncomingMessage, ServerResponse } from 'node:http';
import { INestApplication, Logger } from '@nestjs/common';
import type { FastifyInstance } from 'fastify';
import { sendError } from '../common/errors/all-exceptions.filter';
import { ErrorFormats } from '../common/errors/error-formats';
import { AdminRequestAuthenticator } from './admin-request-authenticator';
import { ScimRequestAuthenticator } from './scim-request-authenticator';

const errorLogger = new Logger('Errors');

/**
 * Which credentials a matched route takes, by its template. Every route under these prefixes
 * declares that authentication (test/e2e/admin/route-authentication.e2e-spec.ts holds the two together).
 */
export function audienceOfRoute(template: string | undefined): 'admin' | 'scim' | null {
  if (template?.startsWith('/admin/v1/')) {
    return 'admin';
  }
  if (template === '/scim/v2' || template?.startsWith('/scim/v2/')) {
    return 'scim';
  }
  return null;
}

/**
 * Fastify reads and parses a body before Nest's guards run. This hook authenticates first, as far
 * as can be done without the body: SCIM Basic completely, admin signatures up to the signature
 * itself (which covers the body). Unauthenticated and throttled requests are answered before their
 * body is read (and sendError then closes the connection rather than drain it). The guards reuse
 * what was verified here, so each request is still verified once.
 */
export function registerEarlyAuthentication(fastify: FastifyInstance, app: INestApplication): void {
  const admin = app.get(AdminRequestAuthenticator);
  const scim = app.get(ScimRequestAuthenticator);
  const errorFormats = app.get(ErrorFormats);
  deferContinueUntilAuthenticated(fastify);
  fastify.addHook('onRequest', async (request, reply) => {
    const audience = audienceOfRoute(request.routeOptions.url);
    if (audience === null) {
      return;
    }
    try {
      await (audience === 'admin' ? admin.authenticateEarly(request) : scim.authenticateEarly(request));
    } catch (error) {
      sendError(error, request, reply, errorFormats, errorLogger);
      return reply;
    }
  });
}

/**
 * Node answers `Expect: 100-continue` on its own, before any hook runs, and the client then sends
 * its body. Deferred to the first hook after authentication (preParsing), a refused client is
 * answered instead and never sends the body at all.
 */
function deferContinueUntilAuthenticated(fastify: FastifyInstance): void {
  fastify.server.on('checkContinue', (req: IncomingMessage, res: ServerResponse) => fastify.server.emit('request', req, res));
  fastify.addHook('preParsing', (request, reply, payload, done) => {
    if (request.headers.expect?.toLowerCase() === '100-continue' && !reply.raw.headersSent) {
      reply.raw.writeContinue();
    }
    done(null, payload);
  });
}
