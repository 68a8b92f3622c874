import { connect, Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { INestApplication } from '@nestjs/common';

export type RawResponse = { status: number; headers: Record<string, string>; body: string; closedByServer: boolean };

/**
 * A request written byte for byte (what supertest cannot send: a header twice, headers without
 * their announced body). `response` resolves with the first complete response, or null if none
 * came within `timeoutMs`.
 */
export function openRawRequest(app: INestApplication, head: string[], timeoutMs = 5000): { socket: Socket; response: Promise<RawResponse | null> } {
  const { port } = (app.getHttpServer() as { address(): AddressInfo }).address();
  const socket = connect(port, '127.0.0.1');
  socket.write(`${[...head, `Host: 127.0.0.1:${port}`].join('\r\n')}\r\n\r\n`);
  const response = new Promise<RawResponse | null>((resolve) => {
    let received = Buffer.alloc(0);
    let closedByServer = false;
    const timer = setTimeout(() => finish(), timeoutMs);
    const finish = (): void => {
      clearTimeout(timer);
      resolve(parse(received, closedByServer));
    };
    socket.on('data', (chunk: Buffer) => {
      received = Buffer.concat([received, chunk]);
      if (isComplete(received)) {
        // Give a closing server a moment to close, so the caller can tell.
        setTimeout(finish, 50);
      }
    });
    socket.on('end', () => {
      closedByServer = true;
      finish();
    });
    socket.on('error', () => finish());
  });
  return { socket, response };
}

/** One request with `Connection: close`, answered in full. */
export async function rawRequest(app: INestApplication, head: string[]): Promise<RawResponse> {
  const { socket, response } = openRawRequest(app, [...head, 'Connection: close']);
  try {
    const answered = await response;
    if (!answered) {
      throw new Error('no response');
    }
    return answered;
  } finally {
    socket.destroy();
  }
}

function isComplete(received: Buffer): boolean {
  const parsed = parse(received, false);
  if (!parsed) {
    return false;
  }
  const length = parsed.headers['content-length'];
  return length !== undefined && Buffer.byteLength(parsed.body) >= Number(length);
}

function parse(received: Buffer, closedByServer: boolean): RawResponse | null {
  const text = received.toString('utf8');
  const end = text.indexOf('\r\n\r\n');
  if (end < 0) {
    return null;
  }
  const [statusLine, ...headerLines] = text.slice(0, end).split('\r\n');
  const headers: Record<string, string> = {};
  for (const line of headerLines) {
    const colon = line.indexOf(':');
    headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  return { status: Number(statusLine?.split(' ')[1]), headers, body: text.slice(end + 4), closedByServer };
}
