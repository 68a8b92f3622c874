import { once } from 'node:events';
import { AddressInfo, createServer, Server, Socket } from 'node:net';
import { HealthIndicatorService } from '@nestjs/terminus';
import { afterEach, describe, expect, it } from 'vitest';
import { Settings } from '../config/settings';
import { connectRedis } from '../redis/redis-client';
import { RedisConnection } from '../redis/redis-connection';
import { RedisHealthIndicator } from './redis.health';

const HANDSHAKE_DELAY_MS = 300;

/**
 * A Redis stand-in that accepts at once but answers its first command (the client's ready check)
 * only after HANDSHAKE_DELAY_MS, as a Redis still starting or far away does; then INFO and PING.
 */
async function slowRedis(): Promise<{ server: Server; url: string }> {
  const server = createServer((socket: Socket) => {
    let first = true;
    socket.on('data', (data: Buffer) => {
      const answer = (): void => {
        for (const command of data.toString().split('*').slice(1)) {
          if (/\bINFO\b/i.test(command)) {
            const info = 'redis_version:7.0.0\r\nloading:0\r\n';
            socket.write(`$${info.length}\r\n${info}\r\n`);
          } else if (/\bPING\b/i.test(command)) {
            socket.write('+PONG\r\n');
          } else {
            socket.write('+OK\r\n');
          }
        }
      };
      if (first) {
        first = false;
        setTimeout(answer, HANDSHAKE_DELAY_MS);
      } else {
        answer();
      }
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return { server, url: `redis://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

const settings = { healthCheckTimeoutMs: 2000 } as Settings;
let cleanup: (() => void) | null = null;

afterEach(() => {
  cleanup?.();
  cleanup = null;
});

describe('RedisHealthIndicator', () => {
  it('waits for a connection still opening (start-up) and reports Redis up, not the client refusing to queue', async () => {
    const { server, url } = await slowRedis();
    const connection = new RedisConnection(connectRedis({ url, keyPrefix: 'health-spec' }));
    cleanup = () => {
      connection.client?.disconnect();
      server.close();
    };
    expect(connection.client?.status).toBe('connecting');
    const result = await new RedisHealthIndicator(new HealthIndicatorService(), connection, settings).isReachable();
    expect(result).toEqual({ redis: { status: 'up' } });
  });

  it('reports a Redis that refuses connections as down', async () => {
    const connection = new RedisConnection(connectRedis({ url: 'redis://127.0.0.1:1', keyPrefix: 'health-spec' }));
    cleanup = () => connection.client?.disconnect();
    const result = await new RedisHealthIndicator(new HealthIndicatorService(), connection, settings).isReachable();
    expect(result.redis.status).toBe('down');
  });
});
