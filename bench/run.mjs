// `npm run bench`: the product's production build side by side with a minimal node:http baseline
// (bench/baseline) on the same database, in the same run. See docs/performance.md.
//
//   npm run bench                      both setups: SQLite, then MariaDB + Redis (full run, several minutes)
//   npm run bench -- --db sqlite       one setup (or BENCH_DB=mysql)
//   npm run bench -- --smoke           a few seconds per setup; exit 1 on any error or wrong body, never on numbers
//   npm run bench -- --cpu-prof        also write V8 CPU profiles of the product (bench/results/profiles/)
//   npm run bench -- --skip-storage    leave out the storage drivers' figures (local disk and S3, bench/lib/storage.mjs)
//   npm run bench -- --scenarios history --history-file-mb 20   history content alone, a smaller file
//   npm run bench -- --db mysql --scenarios mixed   reads, updates and deactivations beside a 20,000-item purge
//
// Progress goes to stderr, the tables to stdout, the figures to bench/results/<date>-<db>.json.
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { clearTimeout, setTimeout } from 'node:timers';
import { setTimeout as sleepMs } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { mysqlServerAnswers, schemaOf } from './lib/db.mjs';
import { HISTORY, MIB, runHistoryScenario } from './lib/history.mjs';
import { formatHostileTable, runHostileFilterScenario } from './lib/hostile-filter.mjs';
import { MIXED, runMixedScenario } from './lib/mixed.mjs';
import { exitedCleanly, killAllNow, loggedErrors, rssOf } from './lib/processes.mjs';
import { runPurgeScenario } from './lib/purge.mjs';
import { formatTable, machineInfo, tableRows } from './lib/report.mjs';
import { databaseCheck, loadState, runScenario, sampleCheck, SCENARIOS, seedUsers, shapeOf } from './lib/scim-load.mjs';
import { createSetup, redisAnswers } from './lib/servers.mjs';
import { measureStartup } from './lib/startup.mjs';
import { formatStorageTable, runStorageScenario } from './lib/storage.mjs';
import { summarizeProfile } from './profile-summary.mjs';

const benchDir = dirname(fileURLToPath(import.meta.url));
const rootDir = resolve(benchDir, '..');
/** The hostile filter scenario (bench/lib/hostile-filter.mjs): product only, so not one of SCENARIOS. */
const HOSTILE = 'hostile';

const { values: args } = parseArgs({
  options: {
    smoke: { type: 'boolean', default: false },
    db: { type: 'string', default: process.env.BENCH_DB ?? 'both' },
    users: { type: 'string' },
    connections: { type: 'string' },
    duration: { type: 'string' },
    warmup: { type: 'string' },
    'import-connections': { type: 'string' },
    scenarios: { type: 'string' },
    'hostile-connections': { type: 'string' },
    'history-file-mb': { type: 'string' },
    'normal-connections': { type: 'string' },
    'skip-purge': { type: 'boolean', default: false },
    'skip-startup': { type: 'boolean', default: false },
    'skip-storage': { type: 'boolean', default: false },
    'purge-items': { type: 'string' },
    'purge-large-items': { type: 'string' },
    'cpu-prof': { type: 'boolean', default: false },
    'log-level': { type: 'string' },
    keep: { type: 'boolean', default: false },
    out: { type: 'string' },
    dist: { type: 'string' },
    'product-node-options': { type: 'string' },
    help: { type: 'boolean', default: false },
  },
  strict: true,
});

if (args.help) {
  console.log(`Usage: npm run bench -- [options]
  --smoke                 tiny run (seconds) that only checks the bench and the answers still work
  --db sqlite|mysql|both  setups to run (default both; BENCH_DB)
  --users N               users seeded by POST = bulk import size (default 10000; BENCH_USERS)
  --connections N         connections per scenario (default 32; BENCH_CONNECTIONS)
  --duration S            seconds per measured scenario (default 10; BENCH_DURATION)
  --warmup S              unmeasured seconds before each scenario (default 2)
  --import-connections N  concurrent clients of the bulk import (default 8)
  --scenarios a,b         subset of ${[...SCENARIOS, HOSTILE, MIXED, HISTORY].join(',')}
                          (${HOSTILE}: normal GET by id and userName eq traffic alone, then beside clients of a second
                          credential looping the issue's 161-clause filter, then a 10-clause one; product only)
  --hostile-connections N hostile filter clients (default 4 on SQLite, 16 on MariaDB + Redis)
  --normal-connections N  normal clients of the hostile scenario, half GET by id, half userName eq (default 4)
                          (${HISTORY}: signed message create and read, then one file up- and downloaded 3 times
                          through the product and through the baseline's unencrypted endpoints)
  --history-file-mb N     MiB of the history scenario's file (default 100; smoke 1)
                          (${MIXED}: for --duration at --connections split 90/8/2 (29/2/1 of 32), reads alternately GET by id and
                          userName eq, name updates alternately PUT and PATCH, deactivations each of a fresh user, while the
                          purge of a user with 2 × --purge-items items runs, its deactivation sent as the load starts;
                          read p99 against < 50 ms; product only, after the five scenarios)
  --purge-items N         files and messages each of the purge and mixed scenarios (default 10000 each = 20,000 items)
  --purge-large-items N   files and messages each of the RSS purge (default 50000 each = 100,000 items)
  --skip-purge, --skip-startup
  --skip-storage          leave out upload/download MiB/s and purge keys/s of the local and S3 storage drivers
  --cpu-prof              run the product with --cpu-prof; profiles and their summaries under bench/results/profiles/
  --log-level L           product LOG_LEVEL (default: unset, the product's own default, info; a partial run)
  --keep                  keep the temporary directory (logs, SQLite files)
  --out FILE              results JSON path (default bench/results/<date>-<db>.json)
  --dist DIR              benchmark another build of the product (default: this tree's dist/, as npm run bench builds it)
  --product-node-options "OPTS"   extra node options for the product processes (diagnosis, e.g. "--trace-gc")
Environment: BENCH_MYSQL_URL (default mysql://root@127.0.0.1:3306), BENCH_REDIS_URL (default redis://127.0.0.1:6379).`);
  process.exit(0);
}

const smoke = args.smoke;
const number = (value, envName, fallback) => {
  const raw = value ?? process.env[envName];
  const parsed = raw === undefined ? fallback : Number(raw);
  if (!Number.isFinite(parsed) || parsed < 0) {
    console.error(`invalid number for ${envName}: ${raw}`);
    process.exit(2);
  }
  return parsed;
};
const options = {
  users: number(args.users, 'BENCH_USERS', smoke ? 200 : 10_000),
  connections: number(args.connections, 'BENCH_CONNECTIONS', smoke ? 8 : 32),
  durationSeconds: number(args.duration, 'BENCH_DURATION', smoke ? 1 : 10),
  warmupSeconds: number(args.warmup, 'BENCH_WARMUP', smoke ? 0 : 2),
  importConnections: number(args['import-connections'], 'BENCH_IMPORT_CONNECTIONS', 8),
  purgeItems: number(args['purge-items'], 'BENCH_PURGE_ITEMS', smoke ? 20 : 10_000),
  purgeLargeItems: number(args['purge-large-items'], 'BENCH_PURGE_LARGE_ITEMS', smoke ? 50 : 50_000),
  startupRuns: smoke ? 1 : 3,
  startupIdleSeconds: smoke ? 0.5 : 3,
  scenarios: args.scenarios ? args.scenarios.split(',').map((name) => name.trim()) : [HOSTILE, ...SCENARIOS, MIXED, HISTORY],
  // Per setup when not given: the issue's figures were 4 clients on SQLite, 16 on MariaDB.
  hostileConnections:
    args['hostile-connections'] === undefined && process.env.BENCH_HOSTILE_CONNECTIONS === undefined
      ? null
      : number(args['hostile-connections'], 'BENCH_HOSTILE_CONNECTIONS', 4),
  normalConnections: number(args['normal-connections'], 'BENCH_NORMAL_CONNECTIONS', smoke ? 2 : 4),
  historyFileMb: number(args['history-file-mb'], 'BENCH_HISTORY_FILE_MB', smoke ? 1 : 100),
  logLevel: args['log-level'],
  mysqlServerUrl: process.env.BENCH_MYSQL_URL ?? 'mysql://root@127.0.0.1:3306',
  redisUrl: process.env.BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379',
};
for (const name of options.scenarios) {
  if (!SCENARIOS.includes(name) && ![HOSTILE, MIXED, HISTORY].includes(name)) {
    console.error(`unknown scenario "${name}" (use ${[...SCENARIOS, HOSTILE, MIXED, HISTORY].join(', ')})`);
    process.exit(2);
  }
}
if (!['sqlite', 'mysql', 'both'].includes(args.db)) {
  console.error('--db must be sqlite, mysql or both');
  process.exit(2);
}
if (options.historyFileMb <= 0) {
  console.error('--history-file-mb must be above 0');
  process.exit(2);
}
if (options.users < 10) {
  console.error('--users must be at least 10');
  process.exit(2);
}

const partialRun =
  !smoke &&
  (Boolean(
    args.scenarios ||
    args.dist ||
    args['product-node-options'] ||
    args['cpu-prof'] ||
    args['skip-purge'] ||
    args['skip-startup'] ||
    args['skip-storage'] ||
    args['log-level'] !== undefined,
  ) ||
    options.users !== 10_000 ||
    options.connections !== 32 ||
    options.durationSeconds !== 10 ||
    options.warmupSeconds !== 2 ||
    options.importConnections !== 8 ||
    options.hostileConnections !== null ||
    options.normalConnections !== 4 ||
    options.historyFileMb !== 100 ||
    options.purgeItems !== 10_000 ||
    options.purgeLargeItems !== 50_000);

const log = (message) => process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${message}\n`);
const runTag = `${new Date().toISOString().replace(/[-:T]/g, '').slice(0, 14)}_${process.pid}`;

// Bounded in time: children are killed and the run fails if it takes longer than this.
const TIME_LIMIT_MS = (smoke ? 5 : 60) * 60 * 1000;
let timedOut = false;
const watchdog = setTimeout(() => {
  timedOut = true;
  log(`time limit of ${TIME_LIMIT_MS / 60000} min reached: stopping every child process`);
  killAllNow();
  setTimeout(() => process.exit(3), 60_000).unref();
}, TIME_LIMIT_MS);
watchdog.unref();
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.once(signal, () => {
    log(`${signal}: stopping every child process`);
    killAllNow();
    setTimeout(() => process.exit(130), 10_000).unref();
  });
}
process.once('exit', killAllNow);

/** Newest modification time under a directory (ms), or 0 when it is missing. */
function newestMtime(dir) {
  let newest = 0;
  const walk = (path) => {
    for (const entry of readdirSync(path, { withFileTypes: true })) {
      const full = join(path, entry.name);
      newest = Math.max(newest, statSync(full).mtimeMs);
      if (entry.isDirectory()) {
        walk(full);
      }
    }
  };
  try {
    walk(dir);
  } catch {
    return 0;
  }
  return newest;
}

/**
 * The build under test, copied so that a concurrent `nest build` in this shared tree cannot change
 * it mid-run; waits (up to 2 minutes) for a build in progress to finish first.
 */
async function snapshotBuild(workDir) {
  const dist = args.dist ? resolve(args.dist) : join(rootDir, 'dist');
  const target = join(workDir, 'dist');
  const deadline = Date.now() + 120_000;
  for (;;) {
    const before = newestMtime(dist);
    if (existsSync(join(dist, 'src/main.js')) && Date.now() - before > 3000) {
      rmSync(target, { recursive: true, force: true });
      try {
        cpSync(dist, target, { recursive: true });
        if (newestMtime(dist) === before && existsSync(join(target, 'src/main.js'))) {
          break;
        }
      } catch {
        // changed while copying: try again
      }
    }
    if (Date.now() > deadline) {
      throw new Error(`${dist}/src/main.js is missing or keeps changing: run \`npm run bench\` (it builds first) or \`npm run build\``);
    }
    log('waiting for dist/ to settle (a build just ran or is running)');
    await sleepMs(2000);
  }
  symlinkSync(join(rootDir, 'node_modules'), join(workDir, 'node_modules'), 'dir');
  return target;
}

async function runSetup(kind, context) {
  const result = {
    kind,
    label: null,
    options: { ...options },
    startup: null,
    bulkImport: null,
    hostileFilter: null,
    mixed: null,
    history: null,
    scenarios: {},
    purge: null,
    samples: {},
    problems: [],
  };
  const problem = (message) => {
    result.problems.push(message);
    log(`PROBLEM: ${message}`);
  };
  const setup = createSetup(kind, context);
  result.label = setup.label;
  const servers = [];
  const started = performance.now();
  try {
    if (!args['skip-startup']) {
      log(`${setup.label}: start-up`);
      result.startup = await measureStartup(setup, {
        runs: options.startupRuns,
        idleSeconds: options.startupIdleSeconds,
        distDir: context.distDir,
        logLevel: options.logLevel,
      });
      result.startup.problems.forEach(problem);
    }

    log(`${setup.label}: starting the product and the baseline`);
    // The history file may be larger than the product's default upload limit (100 MiB).
    const fileBytes = Math.round(options.historyFileMb * MIB);
    const product = await setup.startProduct('main', {
      cpuProfileDir: context.cpuProfileDir,
      extraEnv: fileBytes > 100 * MIB ? { FILE_UPLOAD_MAX_BYTES: String(fileBytes) } : {},
    });
    servers.push(product);
    product.credentials = await setup.credentialsFor(product);
    const baseline = await setup.startBaseline('baseline', { fileMaxBytes: Math.max(fileBytes, 100 * MIB) });
    servers.push(baseline);
    const [productSchema, baselineSchema] = await Promise.all([schemaOf(product.target), schemaOf(baseline.target)]);
    if (productSchema !== baselineSchema) {
      problem('the baseline database schema differs from the product database schema');
    }
    const states = [loadState(product, runTag), loadState(baseline, runTag)];

    log(`${setup.label}: bulk import of ${options.users} users by POST, ${options.importConnections} clients`);
    const imports = {};
    for (const state of states) {
      const summary = await seedUsers(state, { count: options.users, connections: options.importConnections });
      imports[state.server.kind] = summary;
      if (summary.created !== options.users || summary.errors > 0 || summary.non2xx > 0) {
        problem(
          `bulk import (${state.server.kind}): ${summary.created}/${options.users} created, ${summary.non2xx} non-2xx ${JSON.stringify(summary.statusCodes)}, ${summary.errors} errors`,
        );
      }
      (await databaseCheck('seed', state)).forEach(problem);
    }
    if (states.some((state) => state.seeded.length < 10)) {
      throw new Error('too few users were created to run the scenarios');
    }
    result.bulkImport = {
      users: options.users,
      connections: options.importConnections,
      product: imports.product,
      baseline: imports.baseline,
    };

    // Before the other scenarios, which add users: the hostile filter's cost grows with them.
    if (options.scenarios.includes(HOSTILE)) {
      const hostileConnections = options.hostileConnections ?? (smoke ? 2 : kind === 'sqlite' ? 4 : 16);
      log(`${setup.label}: hostile filter, ${options.normalConnections} normal and ${hostileConnections} hostile connections`);
      result.hostileFilter = await runHostileFilterScenario(states[0], {
        normalConnections: options.normalConnections,
        hostileConnections,
        durationSeconds: options.durationSeconds,
        warmupSeconds: options.warmupSeconds,
        log,
      });
      result.hostileFilter.problems.forEach(problem);
    }

    for (const name of options.scenarios.filter((scenario) => SCENARIOS.includes(scenario))) {
      const entry = {};
      const samples = {};
      for (const state of states) {
        log(`${setup.label}: ${name} on the ${state.server.kind} (${options.durationSeconds} s, ${options.connections} connections)`);
        const summary = await runScenario(name, state, {
          connections: options.connections,
          durationSeconds: options.durationSeconds,
          warmupSeconds: options.warmupSeconds,
        });
        entry[state.server.kind] = summary;
        if (summary.errors > 0 || summary.non2xx > 0) {
          problem(
            `${name} (${state.server.kind}): ${summary.non2xx} non-2xx ${JSON.stringify(summary.statusCodes)}, ${summary.errors} errors (${summary.timeouts} timeouts)`,
          );
        }
        if (summary.ok === 0) {
          problem(`${name} (${state.server.kind}): no successful response`);
        }
        const check = await sampleCheck(name, state);
        check.problems.forEach((message) => problem(`${state.server.kind}: ${message}`));
        samples[state.server.kind] = check.sample;
        (await databaseCheck(name, state)).forEach((message) => problem(`${state.server.kind}: ${message}`));
      }
      if (JSON.stringify(shapeOf(samples.product)) !== JSON.stringify(shapeOf(samples.baseline))) {
        problem(
          `${name}: the baseline's response shape differs from the product's: ${JSON.stringify(shapeOf(samples.baseline))} vs ${JSON.stringify(shapeOf(samples.product))}`,
        );
      }
      result.scenarios[name] = entry;
      result.samples[name] = samples;
    }

    // After the five scenarios: its deactivations and purge must not count in their database checks.
    if (options.scenarios.includes(MIXED)) {
      result.mixed = await runMixedScenario(states[0], {
        connections: options.connections,
        durationSeconds: options.durationSeconds,
        warmupSeconds: options.warmupSeconds,
        purgeItems: options.purgeItems,
        log,
      });
      result.mixed.problems.forEach(problem);
    }

    if (options.scenarios.includes(HISTORY)) {
      result.history = await runHistoryScenario(product, baseline, {
        connections: options.connections,
        durationSeconds: options.durationSeconds,
        warmupSeconds: options.warmupSeconds,
        fileBytes,
        log,
      });
      result.history.problems.forEach(problem);
    }

    result.productRssAfterLoad = rssOf(product.proc.pid);
    for (const server of servers.splice(0)) {
      const exit = await server.proc.stop();
      if (!exitedCleanly(exit)) {
        problem(`${server.kind} did not shut down cleanly on SIGTERM (${JSON.stringify(exit)}):\n${server.proc.logTail(10)}`);
      }
    }
    const errors = loggedErrors(product.proc.logFile);
    result.productLoggedErrors = errors;
    if (errors.count > 0) {
      problem(`the product logged ${errors.count} error(s) during the load: ${errors.examples.join('; ')}`);
    }

    if (!args['skip-purge']) {
      log(`${setup.label}: purge`);
      result.purge = await runPurgeScenario(setup, {
        small: { files: options.purgeItems, messages: options.purgeItems },
        large: { files: options.purgeLargeItems, messages: options.purgeLargeItems },
        cpuProfileDir: context.cpuProfileDir,
        log,
        probeTimeoutMs: smoke ? 5000 : 20_000,
      });
      if (!result.purge.available) {
        log(`purge: not available (${result.purge.reason})`);
      }
      result.purge.problems.forEach(problem);
    }
  } catch (error) {
    problem(`${setup.label} aborted: ${error?.stack ?? error}${timedOut ? ' (time limit reached)' : ''}`);
  } finally {
    for (const server of servers) {
      await server.proc.stop(5000);
    }
    (await setup.cleanup()).forEach(problem);
    result.seconds = Math.round((performance.now() - started) / 1000);
  }
  return result;
}

async function main() {
  const workDir = mkdtempSync(join(tmpdir(), 'scim-bench-'));
  const startedAt = new Date();
  const machine = machineInfo(rootDir);
  const problems = [];
  const results = [];
  let storage = null;
  let cpuProfileDir = null;
  try {
    const distDir = await snapshotBuild(workDir);
    if (args['cpu-prof']) {
      cpuProfileDir = join(benchDir, 'results/profiles', runTag);
      mkdirSync(cpuProfileDir, { recursive: true });
    }
    const kinds = args.db === 'both' ? ['sqlite', 'mysql'] : [args.db];
    if (kinds.includes('mysql')) {
      const [mariadb, redis] = await Promise.all([mysqlServerAnswers(options.mysqlServerUrl), redisAnswers(options.redisUrl)]);
      machine.mariadb = mariadb;
      machine.redis = redis;
      if (!mariadb || !redis) {
        const missing = `${!mariadb ? `MariaDB/MySQL at ${options.mysqlServerUrl}` : ''}${!mariadb && !redis ? ' and ' : ''}${!redis ? `Redis at ${options.redisUrl}` : ''} not answering`;
        if (smoke && args.db === 'both') {
          log(`skipping the MariaDB + Redis setup: ${missing} (the smoke run then covers SQLite only)`);
          kinds.splice(kinds.indexOf('mysql'), 1);
        } else {
          throw new Error(`${missing}; start them (see /work/shared/docs/services.md) or run --db sqlite`);
        }
      }
    }
    log(`work directory ${workDir}; ${smoke ? 'SMOKE run' : 'full run'}: ${JSON.stringify(options)}`);
    const productNodeOptions = args['product-node-options'] ? args['product-node-options'].split(/\s+/).filter(Boolean) : [];
    const context = {
      workDir,
      distDir,
      benchDir,
      runTag,
      cpuProfileDir,
      productNodeOptions,
      logLevel: options.logLevel,
      mysqlServerUrl: options.mysqlServerUrl,
      redisUrl: options.redisUrl,
    };
    for (const kind of kinds) {
      const result = await runSetup(kind, context);
      results.push(result);
      console.log(
        `\n${result.label} — ${smoke ? 'SMOKE (figures meaningless)' : `${options.users.toLocaleString('en-US')} users, ${options.durationSeconds} s × ${options.connections} connections per scenario`}, ${machine.cpus} CPUs, Node ${machine.node}`,
      );
      console.log(formatTable(tableRows(result)));
      if (result.hostileFilter) {
        console.log(`\nHostile filter (product only; ratios against the same run's "alone" phase):`);
        console.log(formatHostileTable(result.hostileFilter));
      }
      if (result.purge && !result.purge.available) {
        console.log(`purge: not available — ${result.purge.reason}`);
      }
      problems.push(...result.problems.map((message) => `[${kind}] ${message}`));
    }
    if (!args['skip-storage']) {
      storage = await runStorageScenario({ distDir, workDir, smoke, log });
      console.log(
        `\nStorage drivers — ${smoke ? 'SMOKE (figures meaningless)' : `${storage.options.files} × ${storage.options.fileBytes / 1024 / 1024} MiB files, ${storage.options.purgeKeys} keys purged in batches of ${storage.options.batchSize}`}:`,
      );
      console.log(formatStorageTable(storage));
      problems.push(...storage.problems.map((message) => `[storage] ${message}`));
    }
  } catch (error) {
    problems.push(`bench aborted: ${error?.stack ?? error}`);
  } finally {
    const finishedAt = new Date();
    machine.loadAverageAtEnd = loadavg();
    for (const result of results) {
      // Only a full default run is "the figures"; smoke and partial runs (subsets, other sizes,
      // profiling, another build) get their own, git-ignored, names.
      const name = smoke ? `smoke-${result.kind}` : `${startedAt.toISOString().slice(0, 10)}-${result.kind}${partialRun ? '-partial' : ''}`;
      const file = args.out && results.length === 1 ? resolve(args.out) : join(benchDir, 'results', `${name}.json`);
      mkdirSync(dirname(file), { recursive: true });
      writeFileSync(
        file,
        `${JSON.stringify({ bench: 'scim-provisioning', smoke, partial: partialRun, startedAt, finishedAt, machine, result }, null, 2)}\n`,
      );
      log(`results written to ${file}`);
    }
    if (storage) {
      const name = smoke ? 'smoke-storage' : `${startedAt.toISOString().slice(0, 10)}-storage${partialRun ? '-partial' : ''}`;
      const file = join(benchDir, 'results', `${name}.json`);
      writeFileSync(
        file,
        `${JSON.stringify({ bench: 'storage-drivers', smoke, partial: partialRun, startedAt, finishedAt, machine, result: storage }, null, 2)}\n`,
      );
      log(`results written to ${file}`);
    }
    if (cpuProfileDir) {
      const summary = summarizeProfile(cpuProfileDir, { top: 25, busiest: options.durationSeconds });
      writeFileSync(join(cpuProfileDir, 'summary.txt'), summary);
      console.log(`\nCPU profiles in ${cpuProfileDir}:\n${summary}`);
    }
    if (args.keep) {
      log(`kept ${workDir}`);
    } else {
      rmSync(workDir, { recursive: true, force: true });
    }
    clearTimeout(watchdog);
  }
  if (problems.length > 0) {
    console.log(`\n${problems.length} problem(s):\n${problems.map((message) => `- ${message}`).join('\n')}`);
    process.exitCode = 1;
  } else {
    console.log('\nall checks passed (every response 2xx, sample bodies and database counts correct)');
  }
}

await main();
