import { randomUUID } from 'node:crypto';
import { IncomingMessage } from 'node:http';
import pino, { destination, DestinationStream, Logger, LoggerOptions } from 'pino';
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
 * JSON in production; in development a synchronous pretty stream (no worker thread, so the
 * last lines before a signal-triggered exit are not lost). To stdout, or LOG_FILE when set.
 */
export function createRootLogger(settings: Settings): Logger {
  const options = buildLoggerOptions(settings);
  const { file } = settings.log;
  let stream: DestinationStream | undefined;
  if (settings.log.pretty) {
    stream = pretty({
      sync: true,
      singleLine: true,
      translateTime: 'SYS:standard',
      ignore: 'pid,hostname',
      destination: file ?? 1,
      colorize: !file,
    });
  } else if (file) {
    stream = destination({ dest: file, sync: true, append: true, mkdir: true });
  }
  return stream ? pino(options, stream) : pino(options);
}
