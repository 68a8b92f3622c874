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
import { accessLoggerOf, buildLoggerOptions, createRootLogger, flushLog, requestIdFor } from './logger-options';

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

describe('the access logger', () => {
  it('writes the same fields as the root logger, and the root logger still redacts', () => {
    const options = buildLoggerOptions(new Settings(validateEnvironment({ LOG_FORMAT: 'json' })));
    const { stream, lines } = capture();
    const root = pino({ level: 'info', redact: options.redact }, stream);
    const line = {
      requestId: 'r-1',
      req: { method: 'GET', url: '/scim/v2/Users?x=1', remoteAddress: '127.0.0.1' },
      res: { statusCode: 200 },
    };
    accessLoggerOf(root).info(line, 'request completed');
    root.info({ password: 'hunter2' }, 'after');
    const [access, after] = lines()
      .trimEnd()
      .split('\n')
      .map((text) => JSON.parse(text) as Record<string, unknown>);
    expect(access).toMatchObject({ ...line, msg: 'request completed' });
    expect(after.password).toBe('[REDACTED]');
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
      for (let index = 0; index < 500; index += 1) {
        logger.info({ index }, 'request completed');
      }
      logger.info({ index: 500 }, 'last line');
      await flushLog(logger);
      const lines = read().trimEnd().split('\n');
      expect(lines).toHaveLength(501);
      expect((JSON.parse(lines[500]) as { msg: string }).msg).toBe('last line');
    } finally {
      cleanup();
    }
  });

  it('writes an error line through before the call returns (it may precede a crash)', () => {
    const { logger, read, cleanup } = fileLogger();
    try {
      logger.info('first');
      for (let index = 0; index < 100; index += 1) {
        logger.info({ index }, 'request completed');
      }
      logger.error({ reason: 'database unreachable' }, 'request failed');
      const written = read();
      expect(written).toContain('database unreachable');
      // Everything queued before it too (a write already in flight may land just after).
      expect(written).toContain('"index":99');
    } finally {
      cleanup();
    }
  });
});
