import { randomUUID } from 'node:crypto';
import { IncomingMessage, ServerResponse } from 'node:http';
import { destination, DestinationStream } from 'pino';
import { Options } from 'pino-http';
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

export function requestIdFor(req: IncomingMessage, res: ServerResponse): string {
  const incoming = req.headers['x-request-id'];
  const id = typeof incoming === 'string' && SAFE_REQUEST_ID.test(incoming) ? incoming : randomUUID();
  res.setHeader(REQUEST_ID_HEADER, id);
  return id;
}

export function buildPinoHttpOptions(settings: Settings): Options {
  return {
    level: settings.log.level,
    genReqId: requestIdFor,
    customAttributeKeys: { reqId: 'requestId' },
    quietReqLogger: true,
    redact: { paths: REDACTED_PATHS, censor: '[REDACTED]' },
    // Probes poll often; their lines would drown the rest.
    autoLogging: { ignore: (req) => req.url?.startsWith('/health/') ?? false },
  };
}

/**
 * JSON in production; in development a synchronous pretty stream (no worker thread, so the
 * last lines before a signal-triggered exit are not lost). To stdout, or LOG_FILE when set.
 */
export function buildPinoHttpParams(settings: Settings): Options | [Options, DestinationStream] {
  const options = buildPinoHttpOptions(settings);
  const { file } = settings.log;
  if (settings.log.pretty) {
    return [options, pretty({ sync: true, singleLine: true, translateTime: 'SYS:standard', ignore: 'pid,hostname', destination: file ?? 1, colorize: !file })];
  }
  return file ? [options, destination({ dest: file, sync: true, append: true, mkdir: true })] : options;
}

