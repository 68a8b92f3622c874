import { type IncomingMessage, maxHeaderSize, type ServerResponse } from 'node:http';
import { INestApplication, NestApplicationOptions, Logger as NestLogger } from '@nestjs/common';
import { FastifyAdapter, NestFastifyApplication } from '@nestjs/platform-fastify';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest, FastifyServerOptions, RawServerDefault } from 'fastify';
import helmet from 'helmet';
import { Logger } from 'pino';
import { registerEarlyAuthentication } from './auth/early-authentication';
import { CONTENT_SHA256_HEADER, NONCE_RULE, SIGNATURE_HEADERS, SIGNATURE_SCHEME } from './auth/request-signature';
import { sendError } from './common/errors/all-exceptions.filter';
import { attachErrorFormats, ErrorFormats, errorFormatsOf } from './common/errors/error-formats';
import { connectionTimeoutOptions, registerBodyDeadline } from './common/http/connection-timeouts';
import { formBodyParser } from './common/http/form-body';
import { checkedJsonParser } from './common/http/json-body';
import { readSettings } from './config/read-environment';
import { Settings } from './config/settings';
import { registerConsoleHttp } from './console/console-http';
import { CONSOLE_FORM_ROUTES } from './console/console-routes';
import { isStreamedUpload, registerStreamedUploads, UPLOAD_ROUTE } from './history/streamed-upload';
import { accessLoggerOf, REQUEST_ID_HEADER, requestIdFor } from './logging/logger-options';
import { ROOT_LOGGER } from './logging/logging.module';
import { PinoNestLogger } from './logging/pino-nest-logger';
import { HttpMetrics } from './metrics/http-metrics';
import { SSO_FORM_ROUTES } from './sso/sso-form-routes';

const frameworkErrorLogger = new NestLogger('Errors');

/** Options for NestFactory.create and for the e2e app alike. */
export const APP_OPTIONS: NestApplicationOptions = {
  // The admin API's request signatures cover the raw body.
  rawBody: true,
  bufferLogs: true,
};

const JSON_MEDIA_TYPES = ['application/json', 'application/scim+json', /^application\/[^;\s]+\+json\s*(;|$)/i];

/**
 * Fastify, not Express: Nest on Express spends several times the CPU of Nest on Fastify per
 * request (docs/performance.md, "Fastify instead of Express"). Routing stays as lenient as
 * Express's was: case-insensitive paths and an optional trailing slash. Settings are read here
 * because Fastify takes them at creation.
 */
export function createHttpAdapter(settings: Settings = readSettings()): FastifyAdapter {
  return new FastifyAdapter({
    // A hop count is valid at runtime (proxy-addr), though Fastify's types omit it.
    trustProxy: settings.trustProxy as FastifyServerOptions['trustProxy'],
    bodyLimit: settings.bodyLimitBytes,
    genReqId: requestIdFor,
    ...connectionTimeoutOptions(settings.httpTimeouts),
    // No parameter is too long for the router: the request line is already bounded by Node's
    // header limit, and an id that long is simply unknown (404 after authentication).
    routerOptions: { caseSensitive: false, ignoreTrailingSlash: true, maxParamLength: maxHeaderSize },
    // Errors Fastify's router raises before Nest sees the request (a malformed URL).
    frameworkErrors: (error: FastifyError, request: FastifyRequest, reply: FastifyReply) =>
      sendError(error, request, reply, errorFormatsOf(request.server), frameworkErrorLogger),
  });
}

/**
 * What main.ts and the e2e suite both apply to the application, so tests exercise exactly
 * what production serves. Everything else is declared in modules.
 */
export function configureApp(app: INestApplication): void {
  const fastifyApp = app as NestFastifyApplication;
  const fastify = fastifyApp.getHttpAdapter().getInstance();
  fastifyApp.useLogger(app.get(PinoNestLogger));
  // Answers given outside Nest (Node's client errors, Fastify's router) use the formats features registered.
  attachErrorFormats(fastify, app.get(ErrorFormats));
  registerBodyDeadline(fastify, app.get(Settings).httpTimeouts.bodyMs, isStreamedUpload, app.get(ErrorFormats));
  fastify.addHook('onRequest', securityHeaders());
  registerAccessLog(fastify, accessLoggerOf(app.get<Logger>(ROOT_LOGGER)));
  registerHttpMetrics(fastify, app.get(HttpMetrics));
  registerEarlyAuthentication(fastify, app);
  // Fastify's own (prototype-poisoning-safe) JSON parser behind the checks it lacks; raw body kept for signatures.
  const json = checkedJsonParser(fastify.getDefaultJsonParser('error', 'error'));
  for (const type of JSON_MEDIA_TYPES) {
    fastifyApp.useBodyParser<RawServerDefault>(type, { bodyLimit: app.get(Settings).bodyLimitBytes }, json);
  }
  fastifyApp.useBodyParser<RawServerDefault>(
    'application/x-www-form-urlencoded',
    { bodyLimit: app.get(Settings).bodyLimitBytes },
    formBodyParser(new Set([...SSO_FORM_ROUTES, ...CONSOLE_FORM_ROUTES])),
  );
  registerConsoleHttp(fastifyApp);
  registerStreamedUploads(fastify);
  setUpAdminApiDocs(app);
  app.enableShutdownHooks();
}

/**
 * helmet's defaults everywhere; the API serves only JSON, so its CSP forbids everything. The
 * Swagger UI page at /admin/docs needs its own inline scripts and styles. HSTS and
 * `upgrade-insecure-requests` only over HTTPS (directly, or as a trusted proxy's
 * X-Forwarded-Proto says): over plain HTTP a browser ignores HSTS, and the upgrade would send the
 * docs page's requests to an HTTPS port that may not exist. helmet only sets headers on the Node
 * response, which Fastify merges into every reply, errors and 404s included. Its directives are
 * fixed, so each variant's headers are computed once, not on every request.
 */
function securityHeaders() {
  const api = { defaultSrc: ["'none'"], frameAncestors: ["'none'"] };
  const docs = { scriptSrc: ["'self'", "'unsafe-inline'"], styleSrc: ["'self'", "'unsafe-inline'"], imgSrc: ["'self'", 'data:'] };
  const overHttps = {
    api: fixedHeadersOf(helmet({ contentSecurityPolicy: { directives: api } })),
    docs: fixedHeadersOf(helmet({ contentSecurityPolicy: { directives: docs } })),
  };
  const plain = { strictTransportSecurity: false } as const;
  const overHttp = {
    api: fixedHeadersOf(helmet({ ...plain, contentSecurityPolicy: { directives: { ...api, upgradeInsecureRequests: null } } })),
    docs: fixedHeadersOf(helmet({ ...plain, contentSecurityPolicy: { directives: { ...docs, upgradeInsecureRequests: null } } })),
  };
  return (request: { url: string; protocol: string }, reply: { raw: ServerResponse }, done: () => void): void => {
    const headers = request.protocol.trim().toLowerCase() === 'https' ? overHttps : overHttp;
    const setHeaders = request.url.startsWith('/admin/docs') ? headers.docs : headers.api;
    setHeaders(reply.raw);
    done();
  };
}

type HelmetMiddleware = (req: IncomingMessage, res: ServerResponse, next: (error?: unknown) => void) => void;

/**
 * What a helmet middleware does to a response, recorded once: with no directive computed per
 * request (no nonce), it sets and removes the same headers every time.
 */
function fixedHeadersOf(middleware: HelmetMiddleware): (res: ServerResponse) => void {
  const set: [string, string | number | readonly string[]][] = [];
  const removed: string[] = [];
  const recorder = {
    setHeader: (name: string, value: string | number | readonly string[]) => set.push([name, value]),
    removeHeader: (name: string) => removed.push(name),
  };
  let failure: unknown;
  middleware({} as IncomingMessage, recorder as unknown as ServerResponse, (error?: unknown) => (failure = error));
  if (failure !== undefined) {
    throw failure instanceof Error ? failure : new Error('helmet refused its configuration');
  }
  return (res: ServerResponse): void => {
    for (const name of removed) {
      res.removeHeader(name);
    }
    for (const [name, value] of set) {
      res.setHeader(name, value);
    }
  };
}

/**
 * One line per answered request, at info: id, method, path, status, time, client address. No
 * headers (so no credentials) and no per-request child logger: at a quieter level it costs nothing.
 * Probes poll often; their lines would drown the rest.
 */
function registerAccessLog(fastify: FastifyInstance, logger: Logger): void {
  fastify.addHook('onRequest', (request, reply, done) => {
    reply.header(REQUEST_ID_HEADER, request.id);
    done();
  });
  fastify.addHook('onResponse', (request, reply, done) => {
    if (logger.isLevelEnabled('info') && !request.url.startsWith('/health/')) {
      logger.info(
        {
          requestId: request.id,
          req: { method: request.method, url: loggedUrl(request), remoteAddress: request.ip },
          res: { statusCode: reply.statusCode },
          responseTime: Math.round(reply.elapsedTime * 10) / 10,
        },
        'request completed',
      );
    }
    done();
  });
}

/** A file name is content, stored only encrypted (docs/encryption.md): an upload's query is never logged. */
function loggedUrl(request: FastifyRequest): string {
  return request.routeOptions.url === UPLOAD_ROUTE && request.method === 'POST'
    ? `${request.url.split('?', 1)[0]}?[query not logged]`
    : request.url;
}

/** By route template (`/scim/v2/Users/:id`), never the raw URL, so ids cannot explode cardinality. */
function registerHttpMetrics(fastify: FastifyInstance, metrics: HttpMetrics): void {
  fastify.addHook('onResponse', (request, reply, done) => {
    const labels = { method: request.method, route: request.routeOptions.url ?? 'unmatched', status: String(reply.statusCode) };
    metrics.requests.inc(labels);
    metrics.duration.observe(labels, reply.elapsedTime / 1000);
    done();
  });
}

function setUpAdminApiDocs(app: INestApplication): void {
  const signing = [
    `Every request is signed (scheme ${SIGNATURE_SCHEME}) with an API key and its secret (both from \`POST /admin/v1/api-keys\` or the bootstrap command):`,
    `- \`${SIGNATURE_HEADERS.key}\`: the key (the \`key\` field, e.g. \`ak_…\`);`,
    `- \`${SIGNATURE_HEADERS.timestamp}\`: the current time in ISO-8601 UTC, e.g. \`2026-11-28T10:00:00Z\` (requests more than 5 minutes off are refused);`,
    `- \`${SIGNATURE_HEADERS.nonce}\`: a random value, ${NONCE_RULE}, new for every request: each (key, nonce) is accepted once, a repeat is refused as replayed (401);`,
    `- \`${SIGNATURE_HEADERS.signature}\`: lowercase hex HMAC-SHA256, keyed with the secret (as UTF-8), of`,
    '  `key + "\\n" + METHOD + "\\n" + pathWithQuery + "\\n" + timestamp + "\\n" + nonce + "\\n" + bodySha256`, where METHOD is upper case,',
    '  pathWithQuery is the path as sent (e.g. `/admin/v1/api-keys?limit=10`) and bodySha256 is the lowercase hex SHA-256 of the raw body',
    `  (of the empty string when there is none; for a streamed upload, the value sent in \`${CONTENT_SHA256_HEADER}\`).`,
    '',
    'Bodies are JSON (`Content-Type: application/json`); uploads are `application/octet-stream`. Other media types are refused with 415.',
    '`npm run cli -- admin METHOD PATH [--data JSON]` signs requests for you.',
  ].join('\n');
  const builder = new DocumentBuilder().setTitle('Admin API').setDescription(signing).setVersion('1');
  for (const header of Object.values(SIGNATURE_HEADERS)) {
    builder.addApiKey({ type: 'apiKey', in: 'header', name: header }, header);
  }
  const document = SwaggerModule.createDocument(app, builder.build());
  SwaggerModule.setup('admin/docs', app, document, { jsonDocumentUrl: 'admin/docs-json' });
}
