import { ChildProcess, execFileSync, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createConnection } from 'mysql2/promise';
import { freePort } from './processes';
import { MARIADB_SERVER_INSTALL, requireBinary } from './required-binary';

/**
 * A MariaDB server of the test's own (its own data directory and port), so a test may stop it
 * and start it again without touching the machine's shared instance.
 */
export class PrivateMariaDb {
  private process: ChildProcess | null = null;

  private constructor(
    private readonly dir: string,
    readonly port: number,
  ) {}

  static async create(): Promise<PrivateMariaDb> {
    const neededFor = 'the database outage tests start and stop a MariaDB server of their own';
    requireBinary('mariadbd', neededFor, MARIADB_SERVER_INSTALL);
    const installDb = requireBinary('mariadb-install-db', neededFor, MARIADB_SERVER_INSTALL);
    const dir = mkdtempSync(join(tmpdir(), 'private-mariadb-'));
    execFileSync(
      installDb,
      ['--no-defaults', `--datadir=${join(dir, 'data')}`, '--user=root', '--auth-root-authentication-method=normal', '--skip-test-db'],
      {
        stdio: 'ignore',
      },
    );
    const server = new PrivateMariaDb(dir, await freePort());
    await server.start();
    return server;
  }

  get serverUrl(): string {
    return `mysql://root@127.0.0.1:${this.port}`;
  }

  async start(): Promise<void> {
    this.process = spawn(
      'mariadbd',
      [
        '--no-defaults',
        `--datadir=${join(this.dir, 'data')}`,
        `--port=${this.port}`,
        '--bind-address=127.0.0.1',
        `--socket=${join(this.dir, 'mariadb.sock')}`,
        `--pid-file=${join(this.dir, 'mariadb.pid')}`,
        '--user=root',
        '--skip-log-bin',
        '--innodb-buffer-pool-size=64M',
      ],
      { stdio: 'ignore' },
    );
    const deadline = Date.now() + 30_000;
    for (;;) {
      try {
        const connection = await createConnection({ uri: this.serverUrl, connectTimeout: 1000 });
        await connection.end();
        return;
      } catch (error) {
        if (Date.now() > deadline) {
          throw new Error(`private MariaDB on port ${this.port} did not start`, { cause: error });
        }
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    }
  }

  /** Kills the server outright, as a crash or a pulled cable would. */
  async stop(): Promise<void> {
    const running = this.process;
    this.process = null;
    if (running && running.exitCode === null && running.signalCode === null) {
      const exited = once(running, 'exit');
      running.kill('SIGKILL');
      await exited;
    }
  }

  async query(sql: string, database?: string): Promise<unknown[]> {
    const connection = await createConnection({ uri: database ? `${this.serverUrl}/${database}` : this.serverUrl });
    try {
      const [rows] = await connection.query(sql);
      return rows as unknown[];
    } finally {
      await connection.end();
    }
  }

  async destroy(): Promise<void> {
    await this.stop();
    rmSync(this.dir, { recursive: true, force: true });
  }
}
