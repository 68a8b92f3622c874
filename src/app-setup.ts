import { INestApplication, NestApplicationOptions } from '@nestjs/common';
import { NestExpressApplication } from '@nestjs/platform-express';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import type { NextFunction, Request, Response } from 'express';
import helmet from 'helmet';
import { Logger } from 'nestjs-pino';
import { SIGNATURE_HEADERS } from './auth/request-signature';
import { Settings } from './config/settings';

/** Options for NestFactory.create and for the e2e app alike. */
export const APP_OPTIONS: NestApplicationOptions = {
  // The admin API's request signatures cover the raw body.
  rawBody: true,
  bufferLogs: true,
};

const JSON_MEDIA_TYPES = ['application/json', 'application/scim+json', 'application/*+json'];

/**
 * What main.ts and the e2e suite both apply to the application, so tests exercise exactly
 * what production serves. Everything else is declared in modules.
 */
export function configureApp(app: INestApplication): void {
  const express = app as NestExpressApplication;
  const settings = app.get(Settings);
  express.useLogger(app.get(Logger));
  express.disable('x-powered-by');
  express.use(securityHeaders());
  express.set('trust proxy', settings.trustProxy);
  express.useBodyParser('json', { type: JSON_MEDIA_TYPES, limit: settings.bodyLimitBytes });
  setUpAdminApiDocs(app);
  app.enableShutdownHooks();
}

/**
 * helmet's defaults everywhere; the API serves only JSON, so its CSP forbids everything. The
 * Swagger UI page at /admin/docs needs its own inline scripts and styles.
 */
function securityHeaders(): (req: Request, res: Response, next: NextFunction) => void {
  const api = helmet({ contentSecurityPolicy: { directives: { defaultSrc: ["'none'"], frameAncestors: ["'none'"] } } });
  const docs = helmet({
    contentSecurityPolicy: {
      directives: { scriptSrc: ["'self'", "'unsafe-inline'"], styleSrc: ["'self'", "'unsafe-inline'"], imgSrc: ["'self'", 'data:'] },
    },
  });
  return (req, res, next) => (req.path.startsWith('/admin/docs') ? docs(req, res, next) : api(req, res, next));
}

function setUpAdminApiDocs(app: INestApplication): void {
  const signing = [
    'Every request is signed with an API key and its secret (both from `POST /admin/v1/api-keys` or the bootstrap command):',
    `- \`${SIGNATURE_HEADERS.key}\`: the key (the \`key\` field, e.g. \`ak_…\`);`,
    `- \`${SIGNATURE_HEADERS.timestamp}\`: the current time in ISO-8601 UTC, e.g. \`2026-11-28T10:00:00Z\` (requests more than 5 minutes off are refused);`,
    `- \`${SIGNATURE_HEADERS.signature}\`: lowercase hex HMAC-SHA256, keyed with the secret (as UTF-8), of`,
    '  `key + pathWithQuery + timestamp + rawBody`, where pathWithQuery is the path as sent (e.g. `/admin/v1/api-keys?limit=10`) and rawBody is empty for GET and DELETE.',
    '',
    '`npm run cli -- admin METHOD PATH [--data JSON]` signs requests for you.',
  ].join('\n');
  const config = new DocumentBuilder()
    .setTitle('Admin API')
    .setDescription(signing)
    .setVersion('1')
    .addApiKey({ type: 'apiKey', in: 'header', name: SIGNATURE_HEADERS.key }, SIGNATURE_HEADERS.key)
    .addApiKey({ type: 'apiKey', in: 'header', name: SIGNATURE_HEADERS.timestamp }, SIGNATURE_HEADERS.timestamp)
    .addApiKey({ type: 'apiKey', in: 'header', name: SIGNATURE_HEADERS.signature }, SIGNATURE_HEADERS.signature)
    .build();
  const document = SwaggerModule.createDocument(app, config);
  SwaggerModule.setup('admin/docs', app, document, { jsonDocumentUrl: 'admin/docs-json' });
}
