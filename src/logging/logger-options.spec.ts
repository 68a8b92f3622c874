import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { IncomingMessage } from 'node:http';
import { Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { validateEnvironment } from '../config/environment';
import { Settings } from '../config/settings';
import { buildLoggerOptions, createRootLogger, flushLogSync, requestIdFor } from './logger-options';

function capture(): { stream: Writable; lines: () => string } {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      chunks.push(chunk.toString());
      callback();
    },
  });
  return { stream, lines: () => chunks.join('') };
}

describe('log redaction', () => {
  it('never writes Authorization, signatures, cookies, passwords or secrets', () => {
    const options = buildLoggerOptions(new Settings(validateEnvironment({ LOG_FORMAT: 'json' })));
    const { stream, lines } = capture();
    const logger = pino({ level: 'info', redact: options.redact }, stream);
    logger.info({
      req: {
        headers: {
          authorization: 'Basic c2NpbTpodW50ZXIy',
          cookie: 'session=abc',
          'ss-request-signature': 'deadbeef',
        },
      },
      password: 'hunter2',
      apiKey: { secret: 'sk_live_123' },
      credential: { inner: { password: 'pw-nested' } },
    });
    const written = lines();
    for (const secret of ['c2NpbTpodW50ZXIy', 'session=abc', 'deadbeef', 'hunter2', 'sk_live_123', 'pw-nested']) {
      expect(written).not.toContain(secret);
    }
    expect(written).toContain('[REDACTED]');
  });
});

describe('requestIdFor', () => {
  function requestWith(header?: string): IncomingMessage {
    const req = new IncomingMessage(new Socket());
    if (header !== undefined) {
      req.headers['x-request-id'] = header;
    }
    return req;
  }

  it('keeps a safe incoming id', () => {
    expect(requestIdFor(requestWith('abc-123'))).toBe('abc-123');
  });

  it('replaces a missing, unsafe or oversized id with a UUID', () => {
    for (const unsafe of [undefined, 'a b', 'x'.repeat(129), '{"level":60}']) {
      expect(requestIdFor(requestWith(unsafe))).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    }
  });
});

describe('the asynchronous JSON log', () => {
  function fileLogger(): { logger: ReturnType<typeof createRootLogger>; read: () => string; cleanup: () => void } {
    const dir = mkdtempSync(join(tmpdir(), 'logger-options-'));
    const file = join(dir, 'service.log');
    const logger = createRootLogger(new Settings(validateEnvironment({ LOG_FORMAT: 'json', LOG_FILE: file, LOG_LEVEL: 'info' })));
    const read = (): string => {
      try {
        return readFileSync(file, 'utf8');
      } catch {
        return '';
      }
    };
    return { logger, read, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
  }

  it('holds nothing back once flushed (as at shutdown)', async () => {
    const { logger, read, cleanup } = fileLogger();
    try {
      // The file opens asynchronously; lines written meanwhile are queued, not lost.
      for (let index = 0; index < 500; index += 1) {
        logger.info({ index }, 'request completed');
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
      logger.info({ index: 500 }, 'last line');
      flushLogSync(logger);
      const lines = read().trimEnd().split('\n');
      expect(lines).toHaveLength(501);
      expect((JSON.parse(lines[500]) as { msg: string }).msg).toBe('last line');
    } finally {
      cleanup();
    }
  });

  it('writes an error line through before the call returns (it may precede a crash)', async () => {
    const { logger, read, cleanup } = fileLogger();
    try {
      logger.info('opening');
      await new Promise((resolve) => setTimeout(resolve, 50));
      for (let index = 0; index < 100; index += 1) {
        logger.info({ index }, 'request completed');
      }
      logger.error({ reason: 'database unreachable' }, 'request failed');
      const written = read();
      expect(written).toContain('database unreachable');
      expect(written.trimEnd().split('\n')).toHaveLength(102);
    } finally {
      cleanup();
    }
  });
});
