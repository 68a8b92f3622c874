import { connect, Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { INestApplication } from '@nestjs/common';

export type RawResponse = { status: number; headers: Record<string, string>; body: string };

/**
 * A request written byte for byte, for what supertest cannot send: a header twice, or headers
 * whose announced body is held back to see whether the server answers without it.
 */
export class RawConnection {
  private received = Buffer.alloc(0);
  private ended = false;
  private readonly waiters = new Set<() => void>();
  readonly socket: Socket;

  constructor(app: INestApplication, head: string[]) {
    const { port } = (app.getHttpServer() as { address(): AddressInfo }).address();
    this.socket = connect(port, '127.0.0.1');
    this.socket.on('data', (chunk: Buffer) => {
      this.received = Buffer.concat([this.received, chunk]);
      this.wake();
    });
    for (const event of ['end', 'close', 'error']) {
      this.socket.on(event, () => {
        this.ended = true;
        this.wake();
      });
    }
    this.socket.write(`${[...head, `Host: 127.0.0.1:${port}`].join('\r\n')}\r\n\r\n`);
  }

  /** True once the server has closed the connection. */
  get closedByServer(): boolean {
    return this.ended;
  }

  /** True once the server has sent an interim `100 Continue`. */
  get continued(): boolean {
    return this.received.toString('latin1').startsWith('HTTP/1.1 100 ');
  }

  /** Resolves true once `100 Continue` has arrived, false if the final answer came first or nothing within `timeoutMs`. */
  async continueReceived(timeoutMs = 5000): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    while (this.received.length < 'HTTP/1.1 100 '.length && !this.ended && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    return this.continued;
  }

  send(body: string | Buffer): void {
    this.socket.write(body);
  }

  /** The first complete response, or null if none came within `timeoutMs`. */
  async response(timeoutMs = 5000): Promise<RawResponse | null> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const parsed = parse(this.received);
      if (parsed && (isComplete(parsed) || this.ended)) {
        return parsed;
      }
      if (this.ended || Date.now() >= deadline) {
        return null;
      }
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, deadline - Date.now());
        this.waiters.add(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  /** Resolves once the server has closed the connection (false if it has not within `timeoutMs`). */
  async closed(timeoutMs = 2000): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    while (!this.ended && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    return this.ended;
  }

  destroy(): void {
    this.socket.destroy();
  }

  private wake(): void {
    const waiters = [...this.waiters];
    this.waiters.clear();
    for (const wake of waiters) {
      wake();
    }
  }
}

/** One request with `Connection: close`, answered in full. */
export async function rawRequest(app: INestApplication, head: string[]): Promise<RawResponse> {
  const connection = new RawConnection(app, [...head, 'Connection: close']);
  try {
    const response = await connection.response();
    if (!response) {
      throw new Error(`no response to ${head[0]}`);
    }
    return response;
  } finally {
    connection.destroy();
  }
}

function isComplete(response: RawResponse): boolean {
  const length = response.headers['content-length'];
  return length !== undefined && Buffer.byteLength(response.body) >= Number(length);
}

/** The final response: interim `1xx` ones are skipped. */
function parse(received: Buffer): RawResponse | null {
  const text = received.toString('utf8').replace(/^(HTTP\/1\.1 1\d\d [^\r]*\r\n(?:[^\r]+\r\n)*\r\n)+/, '');
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
  return { status: Number(statusLine?.split(' ')[1]), headers, body: text.slice(end + 4) };
}
