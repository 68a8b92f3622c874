import { IncomingMessage } from 'node:http';
import { Socket } from 'node:net';
import { Writable } from 'node:stream';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { validateEnvironment } from '../config/environment';
import { Settings } from '../config/settings';
import { buildLoggerOptions, requestIdFor } from './logger-options';

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
