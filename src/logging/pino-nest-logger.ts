import { LoggerService } from '@nestjs/common';
import type { Level, Logger } from 'pino';

/**
 * Nest's logger interface on pino: framework and `new Logger(context)` lines become JSON lines
 * with `context`. Nest appends the context as the last parameter; an object message is merged
 * into the line (e.g. `{ err, requestId }`) and a string parameter before the context is its
 * message, or for errors the stack Nest passes.
 */
/**
 * Nest's own progress lines (each module initialised, each route mapped, "starting", "started"):
 * dozens per start, nothing an operator acts on. main.ts logs one summary line instead.
 */
const FRAMEWORK_PROGRESS_CONTEXTS = new Set([
  'NestFactory',
  'InstanceLoader',
  'RoutesResolver',
  'RouterExplorer',
  'NestApplication',
  'NestApplicationContext',
]);

export class PinoNestLogger implements LoggerService {
  constructor(private readonly logger: Logger) {}

  log(message: unknown, ...params: unknown[]): void {
    const context = params[params.length - 1];
    this.write(typeof context === 'string' && FRAMEWORK_PROGRESS_CONTEXTS.has(context) ? 'debug' : 'info', message, params);
  }

  error(message: unknown, ...params: unknown[]): void {
    this.write('error', message, params);
  }

  warn(message: unknown, ...params: unknown[]): void {
    this.write('warn', message, params);
  }

  debug(message: unknown, ...params: unknown[]): void {
    this.write('debug', message, params);
  }

  verbose(message: unknown, ...params: unknown[]): void {
    this.write('trace', message, params);
  }

  fatal(message: unknown, ...params: unknown[]): void {
    this.write('fatal', message, params);
  }

  private write(level: Level, message: unknown, params: unknown[]): void {
    if (!this.logger.isLevelEnabled(level)) {
      return;
    }
    const last = params[params.length - 1];
    const context = typeof last === 'string' ? last : undefined;
    const extras = context === undefined ? params : params.slice(0, -1);
    const text = extras.find((param): param is string => typeof param === 'string');
    const fields: Record<string, unknown> = context ? { context } : {};
    if (message instanceof Error) {
      this.logger[level]({ ...fields, err: message }, text ?? message.message);
    } else if (typeof message === 'object' && message !== null) {
      const { msg, ...rest } = message as Record<string, unknown>;
      this.logger[level]({ ...fields, ...rest }, typeof msg === 'string' ? msg : text);
    } else {
      const stack = text?.includes('\n') ? text : undefined;
      this.logger[level](stack ? { ...fields, stack } : fields, String(message));
    }
  }
}
