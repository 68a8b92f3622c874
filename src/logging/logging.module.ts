import { Global, Inject, Module, OnApplicationShutdown } from '@nestjs/common';
import { Logger } from 'pino';
import { Settings } from '../config/settings';
import { createRootLogger, flushLog } from './logger-options';
import { PinoNestLogger } from './pino-nest-logger';

/** The process's one pino logger: Nest's lines and the access log (app-setup.ts) write through it. */
export const ROOT_LOGGER = Symbol('ROOT_LOGGER');

@Global()
@Module({
  providers: [
    { provide: ROOT_LOGGER, inject: [Settings], useFactory: (settings: Settings): Logger => createRootLogger(settings) },
    { provide: PinoNestLogger, inject: [ROOT_LOGGER], useFactory: (logger: Logger) => new PinoNestLogger(logger) },
  ],
  exports: [ROOT_LOGGER, PinoNestLogger],
})
export class LoggingModule implements OnApplicationShutdown {
  constructor(@Inject(ROOT_LOGGER) private readonly logger: Logger) {}

  /** The root logger writes asynchronously: what it still holds goes out before the application ends. */
  onApplicationShutdown(): Promise<void> {
    return flushLog(this.logger);
  }
}
