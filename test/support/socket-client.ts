import { AddressInfo, connect, Socket } from 'node:net';
import { INestApplication } from '@nestjs/common';

/**
 * One TCP connection to the app (see raw-http.ts for single requests written byte for byte), written byte by byte as a slow or hostile client would, with
 * everything the server sends kept and the moment the server closed it.
 */
export class RawConnection {
  private received = Buffer.alloc(0);
  private readonly openedAt = Date.now();
  private closedAt: number | null = null;
  /** Resolves with the milliseconds from connecting to the server closing the connection. */
  readonly closed: Promise<number>;

  private constructor(private readonly socket: Socket) {
    socket.on('data', (chunk: Buffer) => {
      this.received = Buffer.concat([this.received, chunk]);
    });
    // A server that closes while the client still writes may reset the connection.
    socket.on('error', () => undefined);
    this.closed = new Promise((resolve) => {
      socket.on('close', () => {
        this.closedAt = Date.now();
        resolve(this.closedAt - this.openedAt);
      });
    });
  }

  static async open(app: INestApplication): Promise<RawConnection> {
    const { port } = (app.getHttpServer() as { address(): AddressInfo }).address();
    const socket = connect(port, '127.0.0.1');
    await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
    return new RawConnection(socket);
  }

  get isClosed(): boolean {
    return this.closedAt !== null;
  }

  get text(): string {
    return this.received.toString('utf8');
  }

  /** Status code of the first response received, or null. */
  get status(): number | null {
    const match = /^HTTP\/1\.1 (\d{3})/.exec(this.text);
    return match ? Number(match[1]) : null;
  }

  /** The first response's body parsed as JSON (responses here carry a Content-Length). */
  get json(): unknown {
    const start = this.text.indexOf('\r\n\r\n');
    return JSON.parse(this.text.slice(start + 4)) as unknown;
  }

  header(name: string): string | undefined {
    const head = this.text.slice(0, this.text.indexOf('\r\n\r\n'));
    const line = head.split('\r\n').find((candidate) => candidate.toLowerCase().startsWith(`${name.toLowerCase()}:`));
    return line?.slice(name.length + 1).trim();
  }

  write(data: string | Buffer): void {
    if (!this.socket.destroyed) {
      this.socket.write(data);
    }
  }

  /** Writes `chunks` one at a time, `intervalMs` apart, until they run out or the server closes. */
  async trickle(chunks: (string | Buffer)[], intervalMs: number): Promise<void> {
    for (const chunk of chunks) {
      if (this.isClosed) {
        return;
      }
      this.write(chunk);
      await sleep(intervalMs);
    }
  }

  /** Waits until something was received (or the connection closed), for at most `timeoutMs`. */
  async response(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (this.received.length === 0 && !this.isClosed && Date.now() < deadline) {
      await sleep(10);
    }
  }

  destroy(): void {
    this.socket.destroy();
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** A request head as a client writes it. */
export function requestHead(method: string, path: string, headers: Record<string, string | number>): string {
  const lines = Object.entries({ Host: '127.0.0.1', ...headers }).map(([name, value]) => `${name}: ${value}`);
  return `${method} ${path} HTTP/1.1\r\n${lines.join('\r\n')}\r\n\r\n`;
}
