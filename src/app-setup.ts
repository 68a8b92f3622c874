import { INestApplication } from '@nestjs/common';
import { NestExpressApplication } from '@nestjs/platform-express';
import { Logger } from 'nestjs-pino';

/**
 * What main.ts and the e2e suite both apply to the application, so tests exercise exactly
 * what production serves. Everything else is declared in modules.
 */
export function configureApp(app: INestApplication): void {
  const express = app as NestExpressApplication;
  express.useLogger(app.get(Logger));
  express.disable('x-powered-by');
  app.enableShutdownHooks();
}
