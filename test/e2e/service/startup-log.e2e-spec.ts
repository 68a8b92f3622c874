import { ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { e2eDatabase } from '../../support/e2e-target';
import { freePort, startServer, waitForHttp } from '../../support/processes';

type LogLine = { level: number; msg: string; context?: string };
const INFO = 30;
const DEBUG = 20;
const { version } = JSON.parse(readFileSync(resolve(__dirname, '../../../package.json'), 'utf8')) as { version: string };

/** Starts the built service logging JSON to stdout at `level`, waits until ready, stops it, returns its lines. */
async function logOfOneStart(level: string): Promise<{ lines: LogLine[]; port: number }> {
  const port = await freePort();
  const server: ChildProcess = startServer({ PORT: String(port), HOST: '127.0.0.1', LOG_LEVEL: level, LOG_FORMAT: 'json', LOG_FILE: '' });
  let stdout = '';
  server.stdout?.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  try {
    expect((await waitForHttp(`http://127.0.0.1:${port}/health/ready`, 20_000)).status).toBe(200);
  } finally {
    const exited = once(server, 'exit');
    server.kill('SIGTERM');
    await exited;
  }
  return {
    lines: stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as LogLine),
    port,
  };
}

describe('what a start logs', () => {
  it('one info line per start, naming version, role, database, queue, storage and address', async () => {
    const { lines, port } = await logOfOneStart('info');
    const info = lines.filter((line) => line.level === INFO && line.msg !== 'SIGTERM received, shutting down');
    expect(info.map((line) => line.msg)).toHaveLength(1);
    const [started] = info;
    expect(started.msg).toContain(`scim-provisioning-service ${version} started`);
    expect(started.msg).toContain('role all');
    if (e2eDatabase() === 'mysql') {
      const database = new URL(process.env.DATABASE_URL!);
      expect(started.msg).toMatch(
        new RegExp(`database (mariadb|mysql) at ${database.hostname}:${database.port || 3306}${database.pathname}`),
      );
      expect(started.msg).toContain('queue bullmq on redis at ');
      // A location only: no user name (nor password) of the URL.
      expect(started.msg).not.toContain(`${database.username}@`);
    } else {
      expect(started.msg).toContain(`database sqlite ${process.env.DATA_DIR}`);
      expect(started.msg).toContain('queue in-process');
    }
    expect(started.msg).toContain(`storage local disk ${process.env.DATA_DIR}`);
    expect(started.msg).toContain(`listening on http://127.0.0.1:${port}`);
  });

  it('keeps the framework’s progress lines (modules, routes) at debug', async () => {
    const { lines } = await logOfOneStart('debug');
    const routes = lines.filter((line) => line.context === 'RouterExplorer');
    expect(routes.length).toBeGreaterThan(20);
    expect(routes.every((line) => line.level === DEBUG)).toBe(true);
    expect(lines.filter((line) => line.context === 'InstanceLoader').every((line) => line.level === DEBUG)).toBe(true);
    expect(lines.filter((line) => line.level === INFO && line.msg.includes(' started, role '))).toHaveLength(1);
  });
});
