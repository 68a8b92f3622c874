import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { NestFastifyApplication } from '@nestjs/platform-fastify';
import { APP_OPTIONS, configureApp, createHttpAdapter } from './app-setup';
import { AppModule } from './app.module';
import { Settings } from './config/settings';
import { Database } from './database/database';
import { PinoNestLogger } from './logging/pino-nest-logger';
import { describeStartupFailure } from './startup-failure';
import { describeStart } from './startup-summary';

async function bootstrap(): Promise<void> {
  // Buffered logs are dropped if start-up fails, so the operator sees one clear message instead.
  const app = await NestFactory.create<NestFastifyApplication>(AppModule, createHttpAdapter(), {
    ...APP_OPTIONS,
    autoFlushLogs: false,
    abortOnError: false,
  });
  configureApp(app);
  app.flushLogs();
  const settings = app.get(Settings);
  const logger = app.get(PinoNestLogger);

  // SIGTERM/SIGINT close the app (enableShutdownHooks): the server stops accepting, in-flight
  // requests finish, pools close. This timer only bounds how long that may take.
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.once(signal, () => {
      logger.log(`${signal} received, shutting down`);
      setTimeout(() => {
        logger.error(`shutdown did not finish within ${settings.shutdownTimeoutMs} ms, exiting`);
        process.exit(1);
      }, settings.shutdownTimeoutMs).unref();
    });
  }

  await app.listen(settings.http.port, settings.http.host);
  logger.log(describeStart(settings, app.get(Database).dialect, app.getHttpServer().address()));
}

bootstrap().catch((error: unknown) => {
  process.stderr.write(`Start-up failed: ${describeStartupFailure(error)}\n`);
  process.exit(1);
});
