// The "hostile filter" scenario: normal traffic (GET /Users/:id and userName eq lookups, the
// product's own credential) measured alone, then beside clients of a second credential that loop a
// costly filter: the issue's 4 KB filter of 161 OR-ed `co` clauses, then one of as many clauses as
// a bounded service still accepts. Product only (the baseline has no general filters); every figure
// is compared with the same run's "alone" phase.
import { createRequire } from 'node:module';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { adminRequest, basicAuthorization, httpRequest } from './http.mjs';

const require = createRequire(import.meta.url);
const autocannon = require('autocannon');

/** Clauses of the issue's filter, and of the costliest filter the bounded service accepts (SCIM_FILTER_MAX_CLAUSES). */
export const ISSUE_FILTER_CLAUSES = 161;
export const ACCEPTED_FILTER_CLAUSES = 10;
const SETTLE_LIMIT_MS = 180_000;
const PROMPT_MS = 200;

/** OR-ed `co` comparisons on displayName that match no one, so every one is evaluated on every user. */
export function costlyFilter(clauses) {
  return Array.from({ length: clauses }, (_, index) => `displayName co "z${index}"`).join(' or ');
}

function prng(seed) {
  let state = seed >>> 0;
  return () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state;
  };
}

function summarize(result, durationMs) {
  const seconds = durationMs / 1000;
  const statusCodes = Object.fromEntries(Object.entries(result.statusCodeStats).map(([code, { count }]) => [code, count]));
  return {
    durationSeconds: Number(seconds.toFixed(2)),
    requests: result.requests.total,
    ok: result['2xx'],
    // Sent but not answered when the phase ended: a server too busy to answer within it.
    unanswered: Math.max(0, result.requests.sent - result.requests.total),
    rps: Number((result['2xx'] / seconds).toFixed(1)),
    answeredRps: Number((result.requests.total / seconds).toFixed(1)),
    latencyMs: { p50: result.latency.p50, p90: result.latency.p90, p99: result.latency.p99, max: result.latency.max },
    non2xx: result.non2xx,
    errors: result.errors,
    timeouts: result.timeouts,
    statusCodes,
  };
}

async function cannon(baseUrl, headers, options) {
  const started = performance.now();
  const result = await autocannon({ url: baseUrl, pipelining: 1, timeout: 30, headers, ...options });
  return summarize(result, performance.now() - started);
}

/** A second SCIM credential of the product's organization (a second API key), for the hostile client. */
async function hostileCredential(product) {
  const { apiKey } = product.credentials;
  const created = await adminRequest(product.baseUrl, apiKey, 'POST', '/admin/v1/api-keys', { description: 'bench hostile filter client' });
  if (created.status !== 201 || !created.json?.id) {
    throw new Error(`creating the hostile client's API key answered ${created.status}: ${created.text.slice(0, 200)}`);
  }
  const issued = await adminRequest(product.baseUrl, apiKey, 'POST', `/admin/v1/api-keys/${created.json.id}/scim-credentials`);
  if (issued.status !== 201 || !issued.json?.username) {
    throw new Error(`issuing the hostile client's SCIM credential answered ${issued.status}: ${issued.text.slice(0, 200)}`);
  }
  return { username: issued.json.username, password: issued.json.password };
}

/**
 * Runs the phases on the product. `state` is its load state (seeded users, headers); returns
 * { phases: [{ name, hostileClauses, get, filter, hostile }], problems }.
 */
export async function runHostileFilterScenario(state, { normalConnections, hostileConnections, durationSeconds, warmupSeconds, log }) {
  const { server, seeded } = state;
  const problems = [];
  const credential = await hostileCredential(server);
  const hostileHeaders = { ...state.headers, authorization: basicAuthorization(credential.username, credential.password) };
  const random = prng(20261129);
  const getPaths = seeded.map((user) => `/scim/v2/Users/${user.id}`);
  const filterPaths = seeded.map(
    (user) => `/scim/v2/Users?filter=${encodeURIComponent(`userName eq "${user.userName}"`)}&startIndex=1&count=100`,
  );
  const pick = (paths) => (request) => ({ ...request, path: paths[random() % paths.length] });
  const perKind = Math.max(1, Math.floor(normalConnections / 2));

  const normal = (seconds) =>
    Promise.all([
      cannon(server.baseUrl, state.headers, {
        connections: perKind,
        duration: seconds,
        requests: [{ method: 'GET', setupRequest: pick(getPaths) }],
      }),
      cannon(server.baseUrl, state.headers, {
        connections: perKind,
        duration: seconds,
        requests: [{ method: 'GET', setupRequest: pick(filterPaths) }],
      }),
    ]);
  const hostile = (clauses, seconds) =>
    cannon(server.baseUrl, hostileHeaders, {
      connections: hostileConnections,
      duration: seconds,
      requests: [{ method: 'GET', path: `/scim/v2/Users?filter=${encodeURIComponent(costlyFilter(clauses))}&startIndex=1&count=100` }],
    });

  // A server may go on with a phase's hostile requests long after their clients gave up (a blocked
  // event loop, queries still running in the database): the next phase starts once it answers a
  // normal request promptly again, so one phase's backlog is not measured in the next.
  const settle = async () => {
    const started = performance.now();
    for (let prompt = 0; prompt < 3;) {
      if (performance.now() - started > SETTLE_LIMIT_MS) {
        problems.push(`hostile filter: the server still answered slowly ${SETTLE_LIMIT_MS / 1000} s after a phase`);
        break;
      }
      const sent = performance.now();
      const response = await httpRequest(`${server.baseUrl}${getPaths[0]}`, { headers: state.headers, timeoutMs: SETTLE_LIMIT_MS });
      prompt = response.status === 200 && performance.now() - sent < PROMPT_MS ? prompt + 1 : 0;
      await sleep(50);
    }
    return Number(((performance.now() - started) / 1000).toFixed(1));
  };

  if (warmupSeconds > 0) {
    await normal(warmupSeconds);
  }
  const phases = [];
  for (const hostileClauses of [null, ISSUE_FILTER_CLAUSES, ACCEPTED_FILTER_CLAUSES]) {
    const name = hostileClauses === null ? 'alone' : `beside ${hostileConnections} clients looping a ${hostileClauses}-clause filter`;
    log(`hostile filter: normal traffic ${name} (${durationSeconds} s)`);
    const [[get, filter], hostileSummary] = await Promise.all([
      normal(durationSeconds),
      hostileClauses === null ? null : hostile(hostileClauses, durationSeconds),
    ]);
    const settleSeconds = await settle();
    phases.push({ name, hostileClauses, get, filter, hostile: hostileSummary, settleSeconds });
    for (const [kind, summary] of [
      ['GET /Users/:id', get],
      ['userName eq', filter],
    ]) {
      if (summary.non2xx > 0 || summary.errors > 0) {
        problems.push(
          `hostile filter, ${name}: normal ${kind} got ${summary.non2xx} non-2xx ${JSON.stringify(summary.statusCodes)} and ${summary.errors} errors (${summary.timeouts} timeouts)`,
        );
      }
    }
    const unexpected = Object.keys(hostileSummary?.statusCodes ?? {}).filter((code) => !['200', '400', '429'].includes(code));
    if (unexpected.length > 0) {
      problems.push(
        `hostile filter, ${name}: the hostile client got ${JSON.stringify(hostileSummary.statusCodes)} (only 200, 400 invalidFilter or 429 are right)`,
      );
    }
  }
  return { normalConnections: perKind * 2, hostileConnections, phases, problems };
}

const COLUMNS = [
  ['traffic', 'Normal traffic'],
  ['phase', 'Phase'],
  ['rps', 'req/s'],
  ['ratio', 'vs alone'],
  ['latency', 'p50/p99 ms'],
  ['p99Ratio', 'p99 vs alone'],
  ['unanswered', 'Unanswered'],
  ['hostile', 'Hostile answers 2xx/400/429/other'],
  ['hostileLatency', 'Hostile p50 ms'],
  ['settle', 'Busy after'],
];

/** The scenario's own table: each normal request kind in each phase, compared with "alone". */
export function formatHostileTable(result) {
  const alone = result.phases.find((phase) => phase.hostileClauses === null);
  const rows = [];
  for (const phase of result.phases) {
    for (const [traffic, key] of [
      ['GET /Users/:id', 'get'],
      ['userName eq', 'filter'],
    ]) {
      const summary = phase[key];
      const base = alone?.[key];
      const hostile = phase.hostile;
      const codes = hostile?.statusCodes ?? {};
      const other = hostile ? hostile.requests - (codes['200'] ?? 0) - (codes['400'] ?? 0) - (codes['429'] ?? 0) + hostile.errors : 0;
      rows.push({
        traffic: `${traffic} (${result.normalConnections / 2} conns)`,
        phase: phase.name,
        rps: `${Math.round(summary.rps).toLocaleString('en-US')}`,
        ratio: base ? `${(summary.rps / base.rps).toFixed(2)}×` : '—',
        latency: summary.ok > 0 ? `${summary.latencyMs.p50} / ${summary.latencyMs.p99}` : '—',
        p99Ratio: base && base.latencyMs.p99 > 0 && summary.ok > 0 ? `${(summary.latencyMs.p99 / base.latencyMs.p99).toFixed(1)}×` : '—',
        unanswered: String(summary.unanswered),
        hostile: hostile ? `${codes['200'] ?? 0}/${codes['400'] ?? 0}/${codes['429'] ?? 0}/${other}` : '—',
        hostileLatency: hostile && hostile.requests > 0 ? String(hostile.latencyMs.p50) : '—',
        settle: `${phase.settleSeconds} s`,
      });
    }
  }
  const widths = COLUMNS.map(([key, title]) => Math.max(title.length, ...rows.map((row) => String(row[key]).length)));
  const line = (cells) => `| ${cells.map((cell, i) => String(cell).padEnd(widths[i])).join(' | ')} |`;
  return [
    line(COLUMNS.map(([, title]) => title)),
    `|${widths.map((width) => '-'.repeat(width + 2)).join('|')}|`,
    ...rows.map((row) => line(COLUMNS.map(([key]) => row[key]))),
  ].join('\n');
}
