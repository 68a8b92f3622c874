import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { freePort, runNode, SERVER_ENTRY, waitForHttp } from '../../support/processes';

const ROOT = resolve(__dirname, '../../..');
const START_SCRIPT = join(ROOT, 'scripts/start.mjs');

/** A project laid out like this one, whose "service" only says it started: the start script's checks in isolation. */
function fakeProject(): string {
  const root = mkdtempSync(join(tmpdir(), 'npm-start-'));
  mkdirSync(join(root, 'scripts'));
  copyFileSync(START_SCRIPT, join(root, 'scripts/start.mjs'));
  mkdirSync(join(root, 'src/users'), { recursive: true });
  writeFileSync(join(root, 'src/users/users.service.ts'), 'export {};\n');
  writeFileSync(join(root, 'src/users/users.service.spec.ts'), 'export {};\n');
  writeFileSync(join(root, 'tsconfig.json'), '{}\n');
  return root;
}

function build(root: string): void {
  mkdirSync(join(root, 'dist/src'), { recursive: true });
  writeFileSync(join(root, 'dist/src/main.js'), "process.stdout.write('service started\\n');\n");
}

function age(path: string, secondsAgo: number): void {
  const when = new Date(Date.now() - secondsAgo * 1000);
  utimesSync(path, when, when);
}

describe('npm start', () => {
  let root: string | undefined;
  afterEach(() => {
    if (root) {
      rmSync(root, { recursive: true, force: true });
    }
    root = undefined;
  });

  it('runs the build without compiling; building stays with npm ci / npm run build, watching with start:dev', () => {
    const { scripts } = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> };
    expect(scripts.start).toBe('node scripts/start.mjs');
    expect(scripts.prepare).toBe('nest build');
    expect(scripts['start:dev']).toBe('nest start --watch');
  });

  it('starts a build that is newer than every source', async () => {
    root = fakeProject();
    for (const source of ['src/users/users.service.ts', 'src/users/users.service.spec.ts', 'tsconfig.json']) {
      age(join(root, source), 60);
    }
    build(root);
    const result = await runNode(join(root, 'scripts/start.mjs'), [], {});
    expect(result.stderr).toBe('');
    expect(result.stdout).toBe('service started\n');
    expect(result.code).toBe(0);
  });

  it('says what to run when there is no build', async () => {
    root = fakeProject();
    const result = await runNode(join(root, 'scripts/start.mjs'), [], {});
    expect(result.code).toBe(1);
    expect(result.stdout).toBe('');
    expect(result.stderr.trim()).toBe(
      'Cannot start: the service is not built (dist/src/main.js is missing). Run "npm run build" (npm ci also builds), then "npm start".',
    );
  });

  it('says what to run when a source or the compiler settings changed after the build (a spec file does not count)', async () => {
    root = fakeProject();
    age(join(root, 'tsconfig.json'), 60);
    age(join(root, 'src/users/users.service.ts'), 60);
    build(root);
    age(join(root, 'dist/src/main.js'), 30);
    const started = await runNode(join(root, 'scripts/start.mjs'), [], {});
    expect(started.stdout).toBe('service started\n');

    utimesSync(join(root, 'src/users/users.service.spec.ts'), new Date(), new Date());
    expect((await runNode(join(root, 'scripts/start.mjs'), [], {})).stdout).toBe('service started\n');

    utimesSync(join(root, 'src/users/users.service.ts'), new Date(), new Date());
    const stale = await runNode(join(root, 'scripts/start.mjs'), [], {});
    expect(stale.code).toBe(1);
    expect(stale.stdout).toBe('');
    expect(stale.stderr.trim()).toBe(
      'Cannot start: the build in dist/ is older than src/users/users.service.ts. Run "npm run build", then "npm start" ' +
        '(or "npm run start:dev" to rebuild and restart on every change).',
    );

    build(root);
    utimesSync(join(root, 'tsconfig.json'), new Date(Date.now() + 5000), new Date(Date.now() + 5000));
    expect((await runNode(join(root, 'scripts/start.mjs'), [], {})).stderr).toContain('older than tsconfig.json');
  });

  it('starts the real service from its build in one process that SIGTERM stops, leaving the build untouched', async () => {
    const builtAt = statSync(SERVER_ENTRY).mtimeMs;
    const port = await freePort();
    const service = spawn(process.execPath, [START_SCRIPT], {
      env: { ...process.env, PORT: String(port), HOST: '127.0.0.1' },
      cwd: ROOT,
      stdio: 'pipe',
    });
    let stderr = '';
    service.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    try {
      expect((await waitForHttp(`http://127.0.0.1:${port}/health/ready`, 20_000)).status).toBe(200);
    } finally {
      const exited = once(service, 'exit');
      service.kill('SIGTERM');
      // Nest re-raises the signal once it has shut down.
      const [code, signal] = (await exited) as [number | null, NodeJS.Signals | null];
      expect(code === 0 || signal === 'SIGTERM').toBe(true);
    }
    expect(stderr).toBe('');
    expect(statSync(SERVER_ENTRY).mtimeMs).toBe(builtAt);
  });
});
