import { ChildProcess, execFile, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { resolve } from 'node:path';
import { rememberSecret } from './secret-ledger';

const ROOT = resolve(__dirname, '../..');
export const CLI_ENTRY = resolve(ROOT, 'dist/src/cli/main.js');
export const SERVER_ENTRY = resolve(ROOT, 'dist/src/main.js');

function assertBuilt(entry: string): void {
  if (!existsSync(entry)) {
    throw new Error(`${entry} is missing: run "npm run build" first (npm test does).`);
  }
}

export type CommandResult = { code: number | null; stdout: string; stderr: string; elapsedMs: number };

/** Runs the built CLI as an operator would, with this test file's settings. */
export function runCli(args: string[], env: NodeJS.ProcessEnv = {}): Promise<CommandResult> {
  assertBuilt(CLI_ENTRY);
  return runNode(CLI_ENTRY, args, env);
}

export type BootstrapApiKey = { id: string; key: string; secret: string };

/**
 * `bootstrap` through the built CLI, as an operator would: organization `name` on
 * `<name>.example.com`, administrator `ops@<name>.example.com`; the administrator's API key, whose
 * secret the secret ledger then watches for in logs.
 */
export async function bootstrapWithCli(name: string): Promise<BootstrapApiKey> {
  const domain = `${name.toLowerCase()}.example.com`;
  const boot = await runCli(['bootstrap', '--org-name', name, '--hostname', domain, '--admin-email', `ops@${domain}`]);
  if (boot.code !== 0) {
    throw new Error(`bootstrap exited with ${boot.code}: ${boot.stderr}`);
  }
  const { apiKey } = JSON.parse(boot.stdout) as { apiKey: BootstrapApiKey };
  rememberSecret(apiKey.secret);
  return apiKey;
}

export function runNode(entry: string, args: string[], env: NodeJS.ProcessEnv, timeoutMs = 30_000): Promise<CommandResult> {
  const started = Date.now();
  return new Promise((resolvePromise) => {
    execFile(
      process.execPath,
      [entry, ...args],
      { env: { ...process.env, ...env }, cwd: ROOT, timeout: timeoutMs },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : null) : 0;
        resolvePromise({ code, stdout, stderr, elapsedMs: Date.now() - started });
      },
    );
  });
}

export function startServer(env: NodeJS.ProcessEnv): ChildProcess {
  assertBuilt(SERVER_ENTRY);
  return spawn(process.execPath, [SERVER_ENTRY], { env: { ...process.env, ...env }, cwd: ROOT, stdio: 'pipe' });
}

export async function freePort(): Promise<number> {
  return new Promise((resolvePromise, reject) => {
    const server = createServer();
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolvePromise(address.port) : reject(new Error('no port'))));
    });
  });
}

export async function waitForHttp(url: string, timeoutMs: number): Promise<Response> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await fetch(url);
    } catch (error) {
      if (Date.now() > deadline) {
        throw error;
      }
      await new Promise((r) => setTimeout(r, 50));
    }
  }
}
