import { randomUUID } from 'node:crypto';
import { IncomingMessage } from 'node:http';
import pino, { destination, Logger, LoggerOptions } from 'pino';
import pretty from 'pino-pretty';
import { Settings } from '../config/settings';

export const REQUEST_ID_HEADER = 'X-Request-Id';

// A client-chosen id is kept for correlation only when it cannot forge log structure.
const SAFE_REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** Every place a credential may sit in a log line; pino replaces the value wholesale. */
export const REDACTED_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["proxy-authorization"]',
  'req.headers["ss-request-signature"]',
  'res.headers["set-cookie"]',
  'password',
  'secret',
  'token',
  '*.password',
  '*.secret',
  '*.token',
  '*.*.password',
  '*.*.secret',
  '*.*.token',
];

/** The request's id: the client's X-Request-Id when it is safe to log, else a new UUID. */
export function requestIdFor(req: IncomingMessage): string {
  const incoming = req.headers['x-request-id'];
  return typeof incoming === 'string' && SAFE_REQUEST_ID.test(incoming) ? incoming : randomUUID();
}

export function buildLoggerOptions(settings: Settings): LoggerOptions {
  return {
    level: settings.log.level,
    redact: { paths: REDACTED_PATHS, censor: '[REDACTED]' },
  };
}

/**
 * JSON in production, written asynchronously: a request never waits for the write of its
 * access-log line, and lines written while one write is in flight go out together in the next.
 * Nothing is lost on a normal end: error and fatal lines are written through at once (they may
 * precede a crash), the module flushes at application shutdown, and pino flushes synchronously
 * when the process exits (process.exit, an uncaught exception). In development a synchronous
 * pretty stream (no worker thread). To stdout, or LOG_FILE when set.
 */
export function createRootLogger(settings: Settings): Logger {
  const options = buildLoggerOptions(settings);
  const { file } = settings.log;
  if (settings.log.pretty) {
    const stream = pretty({
      sync: true,
      singleLine: true,
      translateTime: 'SYS:standard',
      ignore: 'pid,hostname',
      destination: file ?? 1,
      colorize: !file,
    });
    return pino(options, stream);
  }
  const stream = destination(file ? { dest: file, sync: false, append: true, mkdir: true } : { dest: 1, sync: false });
  return pino(
    {
      ...options,
      hooks: {
        logMethod(args, method, level) {
          method.apply(this, args);
          if (level >= ERROR_LEVEL) {
            flushQuietly(stream);
          }
        },
      },
    },
    stream,
  );
}

const ERROR_LEVEL = 50;

/** Writes out whatever the logger still holds, synchronously (at shutdown). */
export function flushLogSync(logger: Logger): void {
  flushQuietly((logger as unknown as Record<symbol, unknown>)[pino.symbols.streamSym]);
}

function flushQuietly(stream: unknown): void {
  const flushSync = (stream as { flushSync?: () => void } | undefined)?.flushSync;
  if (typeof flushSync !== 'function') {
    return;
  }
  try {
    flushSync.call(stream);
  } catch {
    // The destination is not open yet (its lines stay queued) or already closed: nothing to flush.
  }
}
