import fastifyCookie from '@fastify/cookie';
import fastifyCsrfProtection from '@fastify/csrf-protection';
import type {} from '@fastify/view';
import { join } from 'node:path';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { Eta } from 'eta';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { ServerKeyRing } from '../secrets/server-key-ring';
import { ConsoleActions } from './console-actions';
import { CONSOLE_CONTENT_SECURITY_POLICY, CONSOLE_FORM_ROUTES } from './console-routes';

export const CONSOLE_VIEWS_DIRECTORY = join(__dirname, 'views');

/** The cookie holding the CSRF secret; `__Host-` (Secure, whole host, no Domain) over https. */
export function csrfCookieName(secure: boolean): string {
  return secure ? '__Host-ss_console_csrf' : 'ss_console_csrf';
}

/**
 * What binds a CSRF token to its session: the hash of the session token (never the token itself),
 * or a fixed value before sign-in, so a token taken from one session is refused in another.
 */
export function csrfBinding(actions: ConsoleActions, request: FastifyRequest): string {
  return actions.sessionBindingOf(request.headers.cookie) ?? 'signed-out';
}

/**
 * The console's Fastify plugins: eta templates through @fastify/view, and @fastify/csrf-protection
 * (a secret in an HttpOnly SameSite=Strict cookie, tokens HMAC-bound to the session with a key
 * derived from the server key, so every instance verifies every other's tokens). Every POST to a
 * console form route is checked before its handler runs; a missing or wrong token answers 403.
 */
export function registerConsoleHttp(app: NestFastifyApplication): void {
  const actions = app.get(ConsoleActions);
  const fastify = app.getHttpAdapter().getInstance();
  const secure = actions.cookiesAreSecure();
  void app.register(fastifyCookie);
  void app.register(fastifyCsrfProtection, {
    sessionPlugin: '@fastify/cookie',
    cookieKey: csrfCookieName(secure),
    cookieOpts: { path: '/', httpOnly: true, sameSite: 'strict', secure },
    csrfOpts: { hmacKey: app.get(ServerKeyRing).current.subkey('console-csrf') },
    getUserInfo: (request: FastifyRequest) => csrfBinding(actions, request),
  });
  app.setViewEngine({ engine: { eta: new Eta() }, templates: CONSOLE_VIEWS_DIRECTORY, production: true });
  fastify.addHook('preHandler', (request, reply, done) => {
    if (request.method === 'POST' && CONSOLE_FORM_ROUTES.has(request.routeOptions.url ?? '')) {
      // The plugin answers a refusal with reply.send(error); a person gets a page that says what to do.
      const refusing = Object.assign(Object.create(reply) as FastifyReply, { send: () => sendStaleFormPage(reply) });
      fastify.csrfProtection(request, refusing, done);
      return;
    }
    done();
  });
}

const STALE_FORM = {
  title: 'Form expired',
  organizationName: 'Web console',
  viewer: null,
  navigation: [],
  csrfToken: '',
  heading: 'This form has expired',
  message:
    'Nothing was changed. The page that sent it is out of date (it was sent again by a reload, or its session ended, or another page replaced its security token). Open the page again and repeat the action.',
};

function sendStaleFormPage(reply: FastifyReply): FastifyReply {
  void reply
    .viewAsync('error', STALE_FORM)
    .then((html) =>
      reply
        .status(403)
        .headers({ 'Cache-Control': 'no-store', 'Content-Security-Policy': CONSOLE_CONTENT_SECURITY_POLICY })
        .type('text/html; charset=utf-8')
        .send(html),
    )
    .catch((error: unknown) => reply.send(error));
  return reply;
}
