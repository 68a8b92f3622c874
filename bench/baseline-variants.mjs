// Is the baseline really the limit? Runs it beside variants of itself on the SAME MariaDB database
// and users (a larger connection pool, as an independent raw server might use), interleaved, for
// GET by id and the userName filter. If a variant were clearly faster, the baseline would
// flatter the product's ratios. See docs/performance.md.
//
//   npm run build && node bench/baseline-variants.mjs [--users 2000] [--duration 5] [--rounds 2] [--pools 16,32]
import { mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { freePort, killAllNow, startNode, waitForReady } from './lib/processes.mjs';
import { loadState, runScenario, seedUsers } from './lib/scim-load.mjs';
import { createSetup } from './lib/servers.mjs';

const benchDir = dirname(fileURLToPath(import.meta.url));
const rootDir = resolve(benchDir, '..');
const { values: args } = parseArgs({
  options: {
    users: { type: 'string', default: '2000' },
    duration: { type: 'string', default: '5' },
    rounds: { type: 'string', default: '2' },
    pools: { type: 'string', default: '16,32' },
    connections: { type: 'string', default: '32' },
  },
});
const log = (message) => process.stderr.write(`[variants] ${message}\n`);
process.once('exit', killAllNow);

const workDir = mkdtempSync(join(tmpdir(), 'scim-bench-variants-'));
symlinkSync(join(rootDir, 'node_modules'), join(workDir, 'node_modules'), 'dir');
const runTag = `${Date.now()}_${process.pid}`;
const setup = createSetup('mysql', {
  workDir,
  distDir: join(rootDir, 'dist'),
  benchDir,
  runTag,
  mysqlServerUrl: process.env.BENCH_MYSQL_URL ?? 'mysql://root@127.0.0.1:3306',
  redisUrl: process.env.BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379',
});
const servers = [];
try {
  const baseline = await setup.startBaseline('variants');
  servers.push({ label: `baseline (pool ${baseline.env.BASELINE_POOL_SIZE}, as the product)`, server: baseline });
  for (const pool of args.pools.split(',').map(Number)) {
    const port = await freePort();
    const env = {
      ...baseline.env,
      PORT: String(port),
      BASELINE_PUBLIC_BASE_URL: `http://127.0.0.1:${port}`,
      BASELINE_POOL_SIZE: String(pool),
    };
    const proc = startNode(`baseline pool ${pool}`, [join(benchDir, 'baseline/server.mjs')], {
      env,
      cwd: baseline.dataDir,
      logFile: join(baseline.dataDir, `baseline-pool-${pool}.log`),
    });
    const baseUrl = `http://127.0.0.1:${port}`;
    await waitForReady(proc, `${baseUrl}/health/ready`, 60_000);
    servers.push({ label: `variant: pool ${pool}`, server: { ...baseline, proc, baseUrl, env } });
  }
  const seeding = loadState(baseline, runTag);
  log(`seeding ${args.users} users`);
  await seedUsers(seeding, { count: Number(args.users), connections: 8 });
  const results = servers.map(() => ({ get: [], filter: [] }));
  for (let round = 1; round <= Number(args.rounds); round += 1) {
    for (const name of ['get', 'filter']) {
      for (const [index, { label, server }] of servers.entries()) {
        log(`round ${round}: ${name} on ${label}`);
        const state = { ...loadState(server, runTag), seeded: seeding.seeded };
        const summary = await runScenario(name, state, {
          connections: Number(args.connections),
          durationSeconds: Number(args.duration),
          warmupSeconds: 1,
        });
        results[index][name].push(summary);
      }
    }
  }
  console.log('| Server | GET req/s (rounds) | GET CPU µs/req | filter req/s (rounds) | filter CPU µs/req |');
  console.log('|---|---|---|---|---|');
  for (const [index, { label }] of servers.entries()) {
    const cells = ['get', 'filter'].flatMap((name) => [
      results[index][name].map((summary) => Math.round(summary.rps)).join(', '),
      results[index][name].map((summary) => summary.cpuUsPerRequest).join(', '),
    ]);
    console.log(`| ${label} | ${cells.join(' | ')} |`);
  }
} finally {
  for (const { server } of servers) {
    await server.proc.stop(5000);
  }
  (await setup.cleanup()).forEach((problem) => log(`cleanup: ${problem}`));
  rmSync(workDir, { recursive: true, force: true });
}
