import { ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { afterEach, describe, expect, it } from 'vitest';
import { freePort, runNode, SERVER_ENTRY, startServer, waitForHttp } from '../../support/processes';

describe('the service process', () => {
  let server: ChildProcess | undefined;

  afterEach(() => {
    server?.kill('SIGKILL');
    server = undefined;
  });

  it('starts with this suite’s settings, becomes ready, and exits cleanly on SIGTERM', async () => {
    const port = await freePort();
    server = startServer({ PORT: String(port), HOST: '127.0.0.1' });
    let stderr = '';
    server.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));

    const ready = await waitForHttp(`http://127.0.0.1:${port}/health/ready`, 20_000);
    expect(ready.status).toBe(200);

    const exited = once(server, 'exit');
    const signalledAt = Date.now();
    server.kill('SIGTERM');
    const [code, signal] = (await exited) as [number | null, NodeJS.Signals | null];
    expect(code === 0 || signal === 'SIGTERM').toBe(true);
    expect(Date.now() - signalledAt).toBeLessThan(5_000);
    expect(stderr).toBe('');
  });

  it('fails within seconds with one clear message when the MySQL server is unreachable', async () => {
    const port = await freePort();
    const result = await runNode(SERVER_ENTRY, [], {
      PORT: String(port),
      DATABASE_URL: 'mysql://scim:s3cret-pass@127.0.0.1:1/scim',
      DATABASE_CONNECT_RETRIES: '1',
      ENCRYPTION_KEY: Buffer.alloc(32, 3).toString('base64'),
    });
    expect(result.code).toBe(1);
    expect(result.elapsedMs).toBeLessThan(10_000);
    expect(result.stderr.trim()).toBe(
      'Start-up failed: cannot connect to the database: connection refused: nothing listens at the host and port of DATABASE_URL (ECONNREFUSED). ' +
        'Start the database server, or correct the host and port in DATABASE_URL.',
    );
    expect(result.stdout + result.stderr).not.toContain('s3cret-pass');
  });

  it('lists every bad setting in one message, without echoing values', async () => {
    const result = await runNode(SERVER_ENTRY, [], {
      PORT: 'eighty',
      DATABASE_URL: 'postgres://user:hunter2@db/scim',
      LOG_LEVEL: 'loud',
      REDIS_URL: 'http://cache',
      ENCRYPTION_KEY: 'too-short',
    });
    expect(result.code).toBe(1);
    const message = result.stderr;
    expect(message).toContain('Invalid configuration (5 problems)');
    for (const name of ['PORT', 'DATABASE_URL', 'LOG_LEVEL', 'REDIS_URL', 'ENCRYPTION_KEY']) {
      expect(message).toContain(`  - ${name}: `);
    }
    expect(message).not.toContain('hunter2');
    expect(message).not.toContain('too-short');
    expect(result.stdout).toBe('');
  });
});
