import { randomBytes } from 'node:crypto';
import { createServer, get, IncomingMessage, Server } from 'node:http';
import { AddressInfo } from 'node:net';
import { Readable, finished as streamFinished } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { markReleasable } from '../released-buffers';
import { releasedAsSent } from './released-as-sent';

const PIECE = 256 * 1024;

/** Fresh whole buffers, as a decryptor pushes them, all marked but the last. */
function body(count: number): { marked: Buffer[]; unmarked: Buffer; expected: Buffer } {
  const pieces = Array.from({ length: count }, () => randomBytes(PIECE));
  const expected = Buffer.concat(pieces);
  const unmarked = pieces.pop() as Buffer;
  return { marked: pieces.map(markReleasable), unmarked, expected };
}

let server: Server | null = null;

afterEach(async () => {
  await new Promise((resolve) => server?.close(resolve) ?? resolve(undefined));
  server = null;
});

/**
 * Serves `content` through releasedAsSent as Fastify sends a stream body: `body.pipe(response)`,
 * and the response destroyed when the body fails. `finished` resolves once the response closed.
 */
async function serve(content: Readable, length: number): Promise<{ url: string; finished: Promise<void> }> {
  let finish: () => void = () => undefined;
  const finished = new Promise<void>((resolve) => (finish = resolve));
  server = createServer((_request, response) => {
    response.writeHead(200, { 'Content-Length': String(length) });
    response.on('close', finish);
    const sent = releasedAsSent(content);
    streamFinished(sent, { writable: false }, (error) => error && response.destroy());
    sent.pipe(response);
  });
  await new Promise<void>((resolve) => server?.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`, finished };
}

function fetchSlowly(url: string): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    get(url, (response: IncomingMessage) => {
      const received: Buffer[] = [];
      // Reads in bursts, so the server's writes back up and the body must wait for 'drain'.
      response.on('data', (chunk: Buffer) => {
        received.push(chunk);
        response.pause();
        setTimeout(() => response.resume(), 1);
      });
      response.on('end', () => resolve(Buffer.concat(received)));
      response.on('error', reject);
    }).on('error', reject);
  });
}

describe('releasedAsSent', () => {
  it('sends every byte in order through backpressure, then has given back each marked buffer and no other', async () => {
    const { marked, unmarked, expected } = body(40);
    const { url, finished } = await serve(Readable.from([...marked, unmarked]), expected.length);
    const received = await fetchSlowly(url);
    await finished;
    expect(received.equals(expected)).toBe(true);
    expect(marked.every((piece) => piece.length === 0)).toBe(true);
    expect(unmarked.length).toBe(PIECE);
  });

  it('fails the body when its source fails, so the response is aborted, never passed off as complete', async () => {
    const { marked, expected } = body(8);
    const failing = new Readable({
      read() {
        const next = marked.shift();
        if (next) {
          this.push(next);
        } else {
          this.destroy(new Error('the content failed to decrypt'));
        }
      },
    });
    const { url, finished } = await serve(failing, expected.length);
    const outcome = await fetchSlowly(url).then(
      (received) => `complete: ${received.length}`,
      (error: NodeJS.ErrnoException) => error.code ?? error.message,
    );
    await finished;
    expect(outcome).not.toMatch(/^complete/);
  });
});
