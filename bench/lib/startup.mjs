// Start-up: time from spawning `node dist/src/main.js` to the first 200 of /health/ready, and the
// RSS of the idle process. The first start is on an empty data directory (or database), so it
// includes the migrations; the following ones start on the existing data.
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { exitedCleanly, freePort, loggedErrors, rssOf, startNode, waitForReady } from './processes.mjs';

export async function measureStartup(setup, { runs, idleSeconds, distDir, logLevel }) {
  const { dataDir, target } = await setup.databaseFor('startup');
  const samples = [];
  const problems = [];
  for (let run = 0; run < runs; run += 1) {
    const port = await freePort();
    // SQLite: the embedded default, nothing set but where to listen and keep data.
    const env =
      target.kind === 'sqlite'
        ? { NODE_ENV: 'production', ...(logLevel ? { LOG_LEVEL: logLevel } : {}), HOST: '127.0.0.1', PORT: String(port), DATA_DIR: dataDir }
        : setup.productEnv({ port, dataDir, target });
    const proc = startNode(`product start-up ${run + 1}`, [join(distDir, 'src/main.js')], {
      env,
      cwd: dataDir,
      logFile: join(dataDir, 'product.log'),
    });
    try {
      const readyMs = await waitForReady(proc, `http://127.0.0.1:${port}/health/ready`, 60_000);
      await sleep(idleSeconds * 1000);
      samples.push({ run: run + 1, fresh: run === 0, readyMs: Math.round(readyMs), idleRss: rssOf(proc.pid) });
    } finally {
      const exit = await proc.stop();
      if (!exitedCleanly(exit)) {
        problems.push(`start-up run ${run + 1}: the product did not shut down cleanly on SIGTERM (${JSON.stringify(exit)})`);
      }
    }
  }
  const errors = loggedErrors(join(dataDir, 'product.log'));
  if (errors.count > 0) {
    problems.push(`start-up: the product logged ${errors.count} error(s): ${errors.examples.join('; ')}`);
  }
  const warm = samples
    .filter((sample) => !sample.fresh)
    .map((sample) => sample.readyMs)
    .sort((a, b) => a - b);
  return {
    config: target.kind === 'sqlite' ? 'embedded default (SQLite, no settings)' : 'MariaDB + Redis',
    samples,
    freshReadyMs: samples[0]?.readyMs ?? null,
    medianReadyMs: warm.length ? warm[Math.floor(warm.length / 2)] : (samples[0]?.readyMs ?? null),
    maxReadyMs: Math.max(...samples.map((sample) => sample.readyMs)),
    idleRss: Math.max(...samples.map((sample) => sample.idleRss ?? 0)),
    problems,
  };
}
