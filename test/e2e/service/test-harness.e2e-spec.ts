import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { freePort } from '../../support/processes';
import { DisposableRedis } from '../../support/purge-redis';

const ROOT = resolve(__dirname, '../../..');

describe('the test harness', () => {
  it('says what to install when redis-server, which the outage tests start, is missing', async () => {
    const emptyBin = mkdtempSync(join(tmpdir(), 'no-redis-'));
    const path = process.env.PATH;
    process.env.PATH = emptyBin;
    const redis = new DisposableRedis(await freePort());
    try {
      await expect(redis.start()).rejects.toThrow(
        /^redis-server was not found on PATH: the Redis outage tests start and stop a Redis server of their own .*Install it \(Debian\/Ubuntu: apt-get install redis-server; macOS: brew install redis\)/,
      );
    } finally {
      process.env.PATH = path;
      await redis.stop();
      rmSync(emptyBin, { recursive: true, force: true });
    }
  });

  it('keeps the framework’s log lines out of the output of passing unit tests', async () => {
    // The purge handler's unit spec drives a service that logs through Nest's Logger at every step.
    const output = await new Promise<string>((resolvePromise, reject) => {
      execFile(
        process.execPath,
        [join(ROOT, 'node_modules/vitest/vitest.mjs'), 'run', '--project', 'unit', 'src/retention/runner/purge-handler.spec.ts'],
        { cwd: ROOT, env: { ...process.env, NO_COLOR: '1', FORCE_COLOR: '0' }, timeout: 60_000 },
        (error, stdout, stderr) => (error ? reject(new Error(`${error.message}\n${stdout}\n${stderr}`)) : resolvePromise(stdout + stderr)),
      );
    });
    expect(output).toMatch(/Tests\s+\d+ passed/);
    expect(output).not.toMatch(/PurgeHandler|\[Nest\]|purge started/);
  });
});
