import { ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { Redis } from 'ioredis';
import { REDIS_SERVER_INSTALL, requireBinary } from './required-binary';

/**
 * A Redis server of the test's own, on its own port, that the test may stop and restart
 * (the machine's shared instance is never touched). Always `stop()` it in a finally.
 */
export class DisposableRedis {
  private server: ChildProcess | null = null;

  constructor(readonly port: number) {}

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  async start(): Promise<void> {
    const binary = requireBinary(
      'redis-server',
      'the Redis outage tests start and stop a Redis server of their own (the shared one is never stopped)',
      REDIS_SERVER_INSTALL,
    );
    const server = spawn(binary, ['--port', String(this.port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], {
      stdio: 'ignore',
    });
    this.server = server;
    const deadline = Date.now() + 10_000;
    for (;;) {
      if (server.exitCode !== null) {
        throw new Error(`redis-server on port ${this.port} exited with code ${server.exitCode}`);
      }
      if (await this.answers()) {
        return;
      }
      if (Date.now() > deadline) {
        throw new Error(`redis-server on port ${this.port} did not answer within 10 s`);
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  async stop(): Promise<void> {
    const server = this.server;
    this.server = null;
    if (server && server.exitCode === null && server.signalCode === null) {
      const exited = once(server, 'exit');
      server.kill('SIGKILL');
      await exited;
    }
  }

  async answers(): Promise<boolean> {
    const client = new Redis(this.url, { lazyConnect: true, connectTimeout: 500, maxRetriesPerRequest: 0, retryStrategy: () => null });
    client.on('error', () => undefined);
    try {
      await client.connect();
      return (await client.ping()) === 'PONG';
    } catch {
      return false;
    } finally {
      client.disconnect();
    }
  }
}
