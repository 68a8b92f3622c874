import { randomUUID } from 'node:crypto';
import { mkdirSync, openSync } from 'node:fs';
import { IncomingMessage } from 'node:http';
import { dirname } from 'node:path';
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
 * precede a crash), the module waits for every write at application shutdown, and pino flushes
 * synchronously when the process exits (process.exit, an uncaught exception). In development a synchronous
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
  // The file is opened here, synchronously, so it is open before any exit handler may flush it.
  const stream = destination({ dest: file ? openLogFile(file) : 1, sync: false });
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

function openLogFile(file: string): number {
  mkdirSync(dirname(file), { recursive: true });
  return openSync(file, 'a');
}

/**
 * The access log's writer: the root logger without redaction. An access line holds only fixed
 * fields (id, method, URL, client address, status, time), none of which REDACTED_PATHS names, and
 * the wildcard paths make redaction walk every line, a large part of what a line costs.
 */
export function accessLoggerOf(root: Logger): Logger {
  return root.child({}, { redact: [] });
}

/** The most shutdown waits for a log write in flight (a stalled stdout reader must not hold it up). */
const FLUSH_WAIT_MS = 2000;

type AsyncDestination = { flushSync?: () => void; once?: (event: 'drain', listener: () => void) => void; _writing?: boolean };

/**
 * Resolves once every line the logger holds is written (at shutdown), in order: a write in flight
 * carries on with what was queued behind it until the destination drains; otherwise the queue is
 * written synchronously.
 */
export async function flushLog(logger: Logger): Promise<void> {
  const stream = (logger as unknown as Record<symbol, unknown>)[pino.symbols.streamSym] as AsyncDestination | undefined;
  // sonic-boom has no public "writing" flag; without it (another destination) the synchronous flush is all there is.
  if (stream?._writing === true && typeof stream.once === 'function') {
    const once = stream.once.bind(stream);
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, FLUSH_WAIT_MS);
      once('drain', () => {
        clearTimeout(timer);
        resolve();
      });
    });
    return;
  }
  flushQuietly(stream);
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
