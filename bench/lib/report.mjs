// The results table, target verdicts, machine information and the JSON results file.
import { execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { arch, cpus, freemem, loadavg, platform, release, totalmem } from 'node:os';
import { SCENARIO_TITLES, SCENARIOS } from './scim-load.mjs';

const require = createRequire(import.meta.url);
const MB = 1024 * 1024;

/**
 * Issue 18's targets, with the product at its shipped defaults: request ratios per setup (null:
 * the issue sets none there), the bulk import, start-up and idle RSS (the embedded default).
 */
export const SCENARIO_TARGETS = {
  mysql: {
    filter: { minRatio: 0.75, maxP99: 30 },
    get: { minRatio: 0.75, maxP99: 30 },
    post: { minRatio: 0.6, maxP99: null },
    put: { minRatio: 0.6, maxP99: null },
    patch: { minRatio: 0.8, maxP99: 100 },
  },
  sqlite: {
    filter: { minRatio: 0.6, maxP99: null },
    get: { minRatio: 0.6, maxP99: null },
    post: null,
    put: null,
    patch: { minRatio: 0.4, maxP99: null },
  },
};
export const TARGETS = {
  bulkImportMs: 5_000,
  bulkImportUsers: 10_000,
  purgeItemsPerSecond: 2000,
  purgeRssGrowth: 100 * MB,
  purgeRssItems: 100_000,
  startupMs: 1500,
  idleRss: 120 * MB,
  // Issue 13: encrypted history files against the baseline's unencrypted path, for a 100 MB file.
  historyFileMinRatio: 0.8,
  historyFileBytes: 100 * MB,
  // The mixed scenario's reads during a purge of 20,000 items (the issue's figure for MariaDB + Redis, shown on both setups).
  mixedReadP99Ms: 50,
  mixedPurgeItems: 20_000,
};

const fmt = {
  rps: (value) => (value === null || value === undefined ? '—' : `${Math.round(value).toLocaleString('en-US')} req/s`),
  ms: (value) =>
    value === null || value === undefined ? '—' : value >= 10_000 ? `${(value / 1000).toFixed(1)} s` : `${Math.round(value)} ms`,
  mb: (value) => (value === null || value === undefined ? '—' : `${(value / MB).toFixed(0)} MB`),
  ratio: (value) => (value === null || value === undefined || !Number.isFinite(value) ? '—' : `${value.toFixed(2)}×`),
  latency: (summary) => (summary ? `${summary.latencyMs.p50} / ${summary.latencyMs.p99}` : '—'),
  cpu: (product, baseline) =>
    product?.cpuUsPerRequest && baseline?.cpuUsPerRequest ? `${product.cpuUsPerRequest} / ${baseline.cpuUsPerRequest}` : '—',
};

function verdict(met) {
  return met === null ? 'n/a' : met ? 'met' : 'MISSED';
}

/** Rows of { scenario, product, baseline, ratio, productLatency, baselineLatency, failures, target, met } for one setup. */
export function tableRows(result) {
  const rows = [];
  const { bulkImport, scenarios, purge, startup } = result;
  if (bulkImport) {
    const { product, baseline, users } = bulkImport;
    const applies = users === TARGETS.bulkImportUsers;
    rows.push({
      scenario: `bulk import ${users.toLocaleString('en-US')} users (${bulkImport.connections} clients)`,
      product: `${fmt.ms(product.durationSeconds * 1000)} (${fmt.rps(product.rps)})`,
      baseline: `${fmt.ms(baseline.durationSeconds * 1000)} (${fmt.rps(baseline.rps)})`,
      ratio: fmt.ratio(product.rps / baseline.rps),
      productLatency: fmt.latency(product),
      baselineLatency: fmt.latency(baseline),
      failures: `${product.non2xx + product.errors} / ${baseline.non2xx + baseline.errors}`,
      cpu: fmt.cpu(product, baseline),
      target: '< 5 s for 10,000',
      met: verdict(applies ? product.durationSeconds * 1000 < TARGETS.bulkImportMs : null),
    });
  }
  for (const name of SCENARIOS) {
    const entry = scenarios[name];
    if (!entry) {
      continue;
    }
    const target = SCENARIO_TARGETS[result.kind]?.[name] ?? null;
    const ratio = entry.product.rps / entry.baseline.rps;
    rows.push({
      scenario: SCENARIO_TITLES[name],
      product: fmt.rps(entry.product.rps),
      baseline: fmt.rps(entry.baseline.rps),
      ratio: fmt.ratio(ratio),
      productLatency: fmt.latency(entry.product),
      baselineLatency: fmt.latency(entry.baseline),
      failures: `${entry.product.non2xx + entry.product.errors} / ${entry.baseline.non2xx + entry.baseline.errors}`,
      cpu: fmt.cpu(entry.product, entry.baseline),
      target: target ? `≥ ${target.minRatio}×${target.maxP99 ? `, p99 < ${target.maxP99} ms` : ''}` : '—',
      met: verdict(target ? ratio >= target.minRatio && (target.maxP99 === null || entry.product.latencyMs.p99 < target.maxP99) : null),
    });
  }
  if (result.mixed) {
    rows.push(...mixedRows(result.mixed));
  }
  if (result.history) {
    rows.push(...historyRows(result.history));
  }
  if (purge) {
    if (!purge.available) {
      rows.push({
        scenario: 'purge',
        product: 'not available',
        baseline: '—',
        ratio: '—',
        productLatency: '—',
        baselineLatency: '—',
        failures: '—',
        target: '≥ 2,000 items/s',
        met: 'n/a',
      });
    } else {
      for (const run of purge.runs) {
        rows.push({
          scenario: `purge ${run.items.toLocaleString('en-US')} items (${run.files.toLocaleString('en-US')} files of 1 KB + ${run.messages.toLocaleString('en-US')} messages)`,
          product: run.itemsPerSecond
            ? `${run.itemsPerSecond.toLocaleString('en-US')} items/s, ${fmt.ms(run.runMs ?? run.wallMs)}`
            : `${run.state ?? 'unfinished'} after ${fmt.ms(run.wallMs)}`,
          baseline: '—',
          ratio: '—',
          productLatency: `RSS ${fmt.mb(run.rssBefore)} → peak ${fmt.mb(run.rssPeak)}`,
          baselineLatency: '—',
          failures: '—',
          target: run.items >= TARGETS.purgeRssItems ? '≥ 2,000 items/s; RSS growth < 100 MB' : '≥ 2,000 items/s',
          met: verdict(
            run.itemsPerSecond === undefined
              ? false
              : run.items >= TARGETS.purgeRssItems
                ? run.itemsPerSecond >= TARGETS.purgeItemsPerSecond && run.rssGrowth < TARGETS.purgeRssGrowth
                : run.items >= 20_000
                  ? run.itemsPerSecond >= TARGETS.purgeItemsPerSecond
                  : null,
          ),
        });
      }
    }
  }
  if (startup) {
    rows.push({
      scenario: `start-up to ready (${startup.config})`,
      product: `${fmt.ms(startup.medianReadyMs)} (first: ${fmt.ms(startup.freshReadyMs)})`,
      baseline: '—',
      ratio: '—',
      productLatency: `idle RSS ${fmt.mb(startup.idleRss)}`,
      baselineLatency: '—',
      failures: '—',
      target: '< 1.5 s; idle RSS < 120 MB',
      met: verdict(startup.maxReadyMs < TARGETS.startupMs && startup.idleRss < TARGETS.idleRss),
    });
  }
  return rows;
}

/** A request load the baseline has no counterpart of: product figures only. */
function productOnlyRow(
  scenario,
  summary,
  { cpu = summary.cpuUsPerRequest ? `${summary.cpuUsPerRequest} / —` : '—', target = '—', met = 'n/a' } = {},
) {
  return {
    scenario,
    product: fmt.rps(summary.rps),
    baseline: '—',
    ratio: '—',
    productLatency: fmt.latency(summary),
    baselineLatency: '—',
    failures: `${summary.non2xx + summary.errors} / —`,
    cpu,
    target,
    met,
  };
}

/** The mixed scenario (product only): each kind of request with its connections and share, then the purge beside them. */
function mixedRows(mixed) {
  const { connections, requestShares, purge } = mixed;
  const percent = (share) => `${(share * 100).toFixed(1)}%`;
  const conns = (count) => `${count} conn${count === 1 ? '' : 's'}`;
  const applies = purge.items >= TARGETS.mixedPurgeItems;
  const purgeLabel = `${purge.items.toLocaleString('en-US')}-item purge`;
  const rows = [
    productOnlyRow(
      `mixed: reads, GET by id + userName eq (${conns(connections.reads)}, ${percent(requestShares.reads)} of requests) during a ${purgeLabel}`,
      mixed.reads,
      {
        cpu: mixed.serverCpuUsPerRequest === null ? '—' : `${mixed.serverCpuUsPerRequest} / — (all kinds)`,
        target: `read p99 < ${TARGETS.mixedReadP99Ms} ms`,
        met: verdict(applies ? mixed.reads.latencyMs.p99 < TARGETS.mixedReadP99Ms : null),
      },
    ),
    productOnlyRow(`mixed: name updates, PUT + PATCH (${conns(connections.updates)}, ${percent(requestShares.updates)})`, mixed.updates),
    productOnlyRow(
      `mixed: deactivations (${conns(connections.deactivations)}, ${percent(requestShares.deactivations)}${mixed.deactivationPoolExhausted ? `, all ${mixed.deactivationPool} fresh users used` : ''})`,
      mixed.deactivations,
    ),
  ];
  const when = purge.completedInWindow
    ? 'completed during the load'
    : purge.finished
      ? `completed after the load (${fmt.ms(purge.seenAfterMs)} from its deactivation, load ${mixed.windowSeconds} s)`
      : 'unfinished';
  rows.push({
    scenario: `mixed: the ${purgeLabel} beside the load`,
    product: purge.itemsPerSecond
      ? `${purge.itemsPerSecond.toLocaleString('en-US')} items/s, ${fmt.ms(purge.runMs)}`
      : (purge.state ?? 'unfinished'),
    baseline: '—',
    ratio: '—',
    productLatency: when,
    baselineLatency: '—',
    failures: '—',
    target: '—',
    met: 'n/a',
  });
  return rows;
}

/** The servers' median CPU ms per file transfer (product / baseline), when measured. */
function serverCpuPerFile(entry) {
  const [product, baseline] = [entry.product.medianServerCpuMs, entry.baseline.medianServerCpuMs];
  return typeof product !== 'number' || typeof baseline !== 'number' ? '—' : `${Math.round(product)} / ${Math.round(baseline)} ms/file`;
}

/** Message create/read (product only: the baseline has no messages) and the file throughput ratios. */
function historyRows(history) {
  const rows = [];
  rows.push(productOnlyRow('history: POST messages (signed, sealed)', history.messageCreate));
  rows.push(productOnlyRow(`history: GET messages?limit=${history.messageRead.limit} (decrypted)`, history.messageRead));
  const { files } = history;
  const size = `${(files.fileBytes / MB).toLocaleString('en-US', { maximumFractionDigits: 1 })} MiB`;
  const applies = files.fileBytes >= TARGETS.historyFileBytes;
  const mibs = (figures) => (figures.medianMiBPerSecond === null ? '—' : `${figures.medianMiBPerSecond} MiB/s`);
  for (const direction of ['upload', 'download']) {
    const entry = files[direction];
    rows.push({
      scenario: `history: ${direction} one ${size} file (median of ${files.runs}; baseline unencrypted)`,
      product: mibs(entry.product),
      baseline: mibs(entry.baseline),
      ratio: fmt.ratio(entry.ratio),
      productLatency: '—',
      baselineLatency: '—',
      failures: `${files.runs - entry.product.runsMiBPerSecond.length} / ${files.runs - entry.baseline.runsMiBPerSecond.length}`,
      cpu: serverCpuPerFile(entry),
      target: `≥ ${TARGETS.historyFileMinRatio}× (100 MB file)`,
      met: verdict(applies && entry.ratio !== null ? entry.ratio >= TARGETS.historyFileMinRatio : applies ? false : null),
    });
  }
  return rows;
}

const COLUMNS = [
  ['scenario', 'Scenario'],
  ['product', 'Product'],
  ['baseline', 'Baseline'],
  ['ratio', 'Ratio'],
  ['productLatency', 'Product p50/p99 ms'],
  ['baselineLatency', 'Baseline p50/p99 ms'],
  ['failures', 'non-2xx+errors P/B'],
  ['cpu', 'CPU µs/req P/B'],
  ['target', 'Target'],
  ['met', 'Met?'],
];

export function formatTable(rows) {
  const widths = COLUMNS.map(([key, title]) => Math.max(title.length, ...rows.map((row) => String(row[key] ?? '—').length)));
  const line = (cells) => `| ${cells.map((cell, i) => String(cell).padEnd(widths[i])).join(' | ')} |`;
  return [
    line(COLUMNS.map(([, title]) => title)),
    `|${widths.map((width) => '-'.repeat(width + 2)).join('|')}|`,
    ...rows.map((row) => line(COLUMNS.map(([key]) => row[key] ?? '—'))),
  ].join('\n');
}

function quiet(command, args) {
  try {
    return execFileSync(command, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], timeout: 5000 }).trim();
  } catch {
    return null;
  }
}

export function machineInfo(rootDir) {
  const cpuList = cpus();
  const dirty = quiet('git', ['-C', rootDir, 'status', '--porcelain']);
  let sqliteVersion;
  try {
    const Database = require('better-sqlite3');
    const db = new Database(':memory:');
    sqliteVersion = db.prepare('SELECT sqlite_version() AS v').get().v;
    db.close();
  } catch {
    sqliteVersion = null;
  }
  return {
    cpus: cpuList.length,
    cpuModel: cpuList[0]?.model ?? 'unknown',
    cpuMHz: cpuList[0]?.speed ?? null,
    memoryBytes: totalmem(),
    freeMemoryBytes: freemem(),
    loadAverageAtStart: loadavg(),
    platform: `${platform()} ${release()} ${arch()}`,
    node: process.version,
    gitCommit: quiet('git', ['-C', rootDir, 'rev-parse', 'HEAD']),
    gitDirtyFiles: dirty === null ? null : dirty.split('\n').filter(Boolean).length,
    sqlite: sqliteVersion,
    autocannon: require('autocannon/package.json').version,
  };
}
