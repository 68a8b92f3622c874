// The "mixed" scenario (issue 18), product only: reads, name updates and deactivations at once
// while the purge of a user with a large history runs. One autocannon per kind of request, side
// by side, so each kind has its own latencies: 90% of the connections read (alternately
// GET /Users/:id and a userName eq filter), the rest update names (alternately PUT and PATCH) or
// deactivate (each request a fresh active user, created for the scenario). After a warm-up the
// writes are paced so that requests too split 90/8/2. The purge starts with the load: its user is
// deactivated as the cannons start.
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { withDatabase } from './db.mjs';
import { httpRequest } from './http.mjs';
import { cpuTimeOf } from './processes.mjs';
import { createUser, deactivate, purgeOutcome, seedDirectly, waitForPurge } from './purge.mjs';
import { activeSeededUsers, cannon, createUsers, PATCH_SCHEMA, USER_SCHEMA } from './scim-load.mjs';

export const MIXED = 'mixed';
/** Fresh users to deactivate per connection and second when the writes are not paced (no warm-up): more than one gets through. */
const DEACTIVATIONS_PER_CONNECTION_SECOND = 80;
/** The issue's split of the requests. */
const SHARES = { reads: 0.9, updates: 0.08, deactivations: 0.02 };
const BACKLOG_LIMIT_MS = 120_000;
const PURGE_POLL_MS = 200;

/** 90% / 8% / 2% of `total` connections, at least two readers (one of each read) and one of each write. */
export function mixedConnections(total) {
  const deactivations = Math.max(1, Math.round(total * SHARES.deactivations));
  const reads = Math.max(2, Math.round(total * SHARES.reads));
  const updates = Math.max(1, total - reads - deactivations);
  return { reads, updates, deactivations };
}

const DEACTIVATION_BODY = JSON.stringify({ schemas: [PATCH_SCHEMA], Operations: [{ op: 'replace', value: { active: false } }] });

function readRequests(state) {
  const { seeded, random } = state;
  const getPaths = seeded.map((user) => `/scim/v2/Users/${user.id}`);
  const filterPaths = seeded.map(
    (user) => `/scim/v2/Users?filter=${encodeURIComponent(`userName eq "${user.userName}"`)}&startIndex=1&count=100`,
  );
  const pick = (paths) => (request) => ({ ...request, path: paths[random() % paths.length] });
  return [
    { method: 'GET', setupRequest: pick(getPaths) },
    { method: 'GET', setupRequest: pick(filterPaths) },
  ];
}

/** Alternately a PUT and a PATCH of the names of the next active user in turn; `updated` maps id → names answered 200. */
function updateRequests(mixed) {
  const { updatePool, updated } = mixed;
  const next = (request, context, bodyOf) => {
    const user = updatePool[mixed.updateCursor % updatePool.length];
    mixed.updateCursor += 1;
    const names = { givenName: `Mixed${mixed.updateCursor}`, familyName: `Update${mixed.updateCursor}` };
    context.user = user;
    context.names = names;
    return { ...request, path: `/scim/v2/Users/${user.id}`, body: JSON.stringify(bodyOf(user, names)) };
  };
  const onResponse = (status, _body, context) => {
    if (status === 200) {
      updated.set(context.user.id, context.names);
    }
  };
  return [
    {
      method: 'PUT',
      setupRequest: (request, context) =>
        next(request, context, (user, names) => ({
          schemas: [USER_SCHEMA],
          userName: user.userName,
          name: names,
          emails: [{ value: user.userName, type: 'work', primary: true }],
          active: true,
        })),
      onResponse,
    },
    {
      method: 'PATCH',
      setupRequest: (request, context) =>
        next(request, context, (_user, names) => ({
          schemas: [PATCH_SCHEMA],
          Operations: [
            { op: 'replace', path: 'name.givenName', value: names.givenName },
            { op: 'replace', path: 'name.familyName', value: names.familyName },
          ],
        })),
      onResponse,
    },
  ];
}

/** Each request deactivates the next fresh user of the pool; the cannon stops when none is left. */
function deactivationRequests(mixed) {
  return {
    maxOverallRequests: mixed.deactivationPool.length,
    requests: [
      {
        method: 'PATCH',
        setupRequest(request, context) {
          const user = mixed.deactivationPool[Math.min(mixed.deactivationCursor, mixed.deactivationPool.length - 1)];
          mixed.deactivationCursor += 1;
          context.userId = user.id;
          return { ...request, path: `/scim/v2/Users/${user.id}`, body: DEACTIVATION_BODY };
        },
        onResponse(status, _body, context) {
          if (status === 200) {
            mixed.deactivated.add(context.userId);
          }
        },
      },
    ],
  };
}

/** Purges of the organization still waiting or running (the earlier scenarios' deactivations). */
async function openPurges(server) {
  return withDatabase(server.target, async (db) =>
    Number(
      Object.values(
        await db.get("SELECT COUNT(*) FROM purges WHERE organization_id = ? AND state IN ('pending', 'running')", [
          server.credentials.organizationId,
        ]),
      )[0],
    ),
  );
}

/** Waits until the earlier scenarios' purges are done, so the measured purge does not queue behind them. */
async function drainPurgeBacklog(server, problems) {
  const started = performance.now();
  while ((await openPurges(server)) > 0) {
    if (performance.now() - started > BACKLOG_LIMIT_MS) {
      problems.push(`mixed: earlier purges were still open ${BACKLOG_LIMIT_MS / 1000} s after the scenarios before it`);
      break;
    }
    await sleep(500);
  }
  return Math.round(performance.now() - started);
}

/** Without the cannons' own CPU figures: the three ran at once, so each would count the others' work. */
function withoutCpu({ cpuMs: _cpuMs, cpuUsPerRequest: _perRequest, serverCpuUtilization: _utilization, ...summary }) {
  return summary;
}

/** The database and sample reads agree with the answers: names updated, users deactivated with one purge each. */
async function checkMixed(state, mixed, summaries, problems) {
  const { server, headers } = state;
  const organizationId = server.credentials.organizationId;
  await withDatabase(server.target, async (db) => {
    const count = async (sql, params) => Number(Object.values(await db.get(sql, params))[0]);
    const renamed = await count("SELECT COUNT(*) FROM users WHERE organization_id = ? AND given_name LIKE 'Mixed%'", [organizationId]);
    if (renamed < mixed.updated.size || renamed > mixed.updated.size + summaries.updates.unanswered) {
      problems.push(`mixed: ${renamed} users carry an update's name, but ${mixed.updated.size} were answered 200`);
    }
    // One statement, so one snapshot: a deactivation still committing as the load stopped is
    // either wholly in it or not at all.
    const users = await db.all(
      'SELECT u.active AS active, COUNT(p.id) AS purges FROM users u LEFT JOIN purges p ON p.user_id = u.id ' +
        'WHERE u.organization_id = ? AND u.user_name_normalized LIKE ? GROUP BY u.id, u.active',
      [organizationId, `mixed-${state.tag}-%`],
    );
    const deactivated = users.filter((user) => !user.active).length;
    const wrongPurges = users.filter((user) => Number(user.purges) !== (user.active ? 0 : 1)).length;
    if (
      deactivated < mixed.deactivated.size ||
      deactivated > mixed.deactivated.size + summaries.deactivations.unanswered ||
      wrongPurges > 0
    ) {
      problems.push(
        `mixed: ${deactivated} inactive users, ${wrongPurges} users without exactly one purge per deactivation, but ${mixed.deactivated.size} deactivations answered 200`,
      );
    }
  });
  const [updatedId, names] = [...mixed.updated].at(-1) ?? [];
  if (updatedId) {
    const read = await httpRequest(`${server.baseUrl}/scim/v2/Users/${updatedId}`, { headers });
    if (read.status !== 200 || read.json?.name?.givenName !== names.givenName || read.json?.active !== true) {
      problems.push(
        `mixed: an updated user reads back as HTTP ${read.status} ${read.text.slice(0, 200)}, expected ${JSON.stringify(names)}`,
      );
    }
    const user = mixed.updatePool.find((candidate) => candidate.id === updatedId);
    const filter = `/scim/v2/Users?filter=${encodeURIComponent(`userName eq "${user.userName}"`)}&startIndex=1&count=100`;
    const found = await httpRequest(`${server.baseUrl}${filter}`, { headers });
    if (found.status !== 200 || found.json?.totalResults !== 1 || found.json?.Resources?.[0]?.id !== updatedId) {
      problems.push(`mixed: the filter for an updated user answered HTTP ${found.status} ${found.text.slice(0, 200)}`);
    }
  }
  const [deactivatedId] = mixed.deactivated;
  if (deactivatedId) {
    const read = await httpRequest(`${server.baseUrl}/scim/v2/Users/${deactivatedId}`, { headers });
    if (read.status !== 200 || read.json?.active !== false) {
      problems.push(`mixed: a deactivated user reads back as HTTP ${read.status} ${read.text.slice(0, 200)}`);
    }
  }
}

/**
 * Runs the scenario on the product (`state`: its load state, after the other scenarios). Returns
 * { connections, reads, updates, deactivations, requestShares, purge, serverCpuUsPerRequest, problems }.
 */
export async function runMixedScenario(state, { connections, durationSeconds, warmupSeconds, purgeItems, log }) {
  const { server } = state;
  const problems = [];
  const split = mixedConnections(connections);
  const updatePool = activeSeededUsers(state);
  if (updatePool.length === 0) {
    throw new Error('mixed: no active seeded user left to update (seed more users)');
  }

  const purgeUserId = await createUser(server, server.credentials, `mixed-purge-${state.tag}@example.com`);
  log(`mixed: a user with ${purgeItems * 2} history items`);
  await seedDirectly(server, server.credentials.organizationId, purgeUserId, { messages: purgeItems, files: purgeItems });
  const backlogMs = await drainPurgeBacklog(server, problems);
  if (backlogMs >= 1000) {
    log(`mixed: waited ${(backlogMs / 1000).toFixed(1)} s for the earlier scenarios' purges`);
  }

  const mixed = { updatePool, updateCursor: 0, updated: new Map(), deactivationPool: [], deactivationCursor: 0, deactivated: new Set() };
  // The warm-up's read rate sets the writes' rates, so that requests, not only connections, split
  // 90/8/2; without a warm-up (the smoke run) the writes go as fast as their connections allow.
  const rates = { updates: null, deactivations: null };
  if (warmupSeconds > 0) {
    const [warmReads] = await Promise.all([
      cannon(state, { connections: split.reads, duration: warmupSeconds, requests: readRequests(state) }),
      cannon(state, { connections: split.updates, duration: warmupSeconds, requests: updateRequests(mixed) }),
    ]);
    rates.updates = Math.max(1, Math.round((warmReads.rps * SHARES.updates) / SHARES.reads));
    rates.deactivations = Math.max(1, Math.round((warmReads.rps * SHARES.deactivations) / SHARES.reads));
  }
  // Paced writers get twice the connections, idle once their second's quota is sent: one
  // connection alone waits on each answer and would fall short of its share.
  const used = rates.updates ? { ...split, updates: split.updates * 2, deactivations: split.deactivations * 2 } : split;

  const poolSize = Math.ceil(
    (durationSeconds + 1) * (rates.deactivations ?? split.deactivations * DEACTIVATIONS_PER_CONNECTION_SECOND) * 1.2,
  );
  log(`mixed: ${poolSize} fresh users to deactivate`);
  const creation = await createUsers(state, {
    count: poolSize,
    connections: 8,
    userNameOf: (index) => `mixed-${state.tag}-${index}@example.com`,
    created: mixed.deactivationPool,
  });
  if (creation.non2xx > 0 || creation.errors > 0) {
    problems.push(
      `mixed: creating the users to deactivate: ${mixed.deactivationPool.length}/${poolSize} created, ${creation.non2xx} non-2xx, ${creation.errors} errors`,
    );
  }
  if (mixed.deactivationPool.length === 0) {
    throw new Error('mixed: no user to deactivate could be created');
  }

  log(
    `mixed: ${durationSeconds} s, ${used.reads} reading, ${used.updates} updating and ${used.deactivations} deactivating connections` +
      (rates.updates ? `, writes paced to ${rates.updates} and ${rates.deactivations} req/s` : ''),
  );
  const cpuBefore = cpuTimeOf(server.proc.pid);
  const started = performance.now();
  const purgeDone = (async () => {
    await deactivate(server, server.credentials, purgeUserId);
    const outcome = await waitForPurge(server, purgeUserId, Math.max(60_000, purgeItems * 4), PURGE_POLL_MS);
    return { ...outcome, seenMs: performance.now() - started };
  })();
  purgeDone.catch(() => undefined);
  const [reads, updates, deactivations] = await Promise.all([
    cannon(state, { connections: split.reads, duration: durationSeconds, requests: readRequests(state) }),
    cannon(state, {
      connections: used.updates,
      duration: durationSeconds,
      requests: updateRequests(mixed),
      ...(rates.updates ? { overallRate: rates.updates } : {}),
    }),
    cannon(state, {
      connections: used.deactivations,
      duration: durationSeconds,
      ...deactivationRequests(mixed),
      ...(rates.deactivations ? { overallRate: rates.deactivations } : {}),
    }),
  ]);
  const windowMs = performance.now() - started;
  const cpuAfter = cpuTimeOf(server.proc.pid);
  const summaries = { reads: withoutCpu(reads), updates: withoutCpu(updates), deactivations: withoutCpu(deactivations) };
  const total = reads.requests + updates.requests + deactivations.requests;

  for (const [kind, summary] of Object.entries(summaries)) {
    if (summary.non2xx > 0 || summary.errors > 0) {
      problems.push(
        `mixed ${kind}: ${summary.non2xx} non-2xx ${JSON.stringify(summary.statusCodes)}, ${summary.errors} errors (${summary.timeouts} timeouts)`,
      );
    }
    if (summary.ok === 0) {
      problems.push(`mixed ${kind}: no successful response`);
    }
  }

  const { row, finished, seenMs } = await purgeDone;
  const items = purgeItems * 2;
  const purge = {
    items,
    files: purgeItems,
    messages: purgeItems,
    state: row?.state ?? null,
    finished,
    completedInWindow: finished && seenMs <= windowMs,
  };
  if (!finished) {
    problems.push(`mixed: the purge of ${items} items did not finish within ${Math.round(seenMs / 1000)} s (state ${row?.state})`);
  } else {
    const outcome = await purgeOutcome(server, server.credentials, purgeUserId, row, { messages: purgeItems, files: purgeItems }, 'mixed');
    problems.push(...outcome.problems);
    Object.assign(purge, {
      runMs: outcome.runMs,
      seenAfterMs: Math.round(seenMs),
      itemsPerSecond: outcome.runMs ? Math.round(items / (outcome.runMs / 1000)) : null,
    });
  }
  await checkMixed(state, mixed, summaries, problems);

  return {
    connections: used,
    windowSeconds: Number((windowMs / 1000).toFixed(2)),
    ...summaries,
    requestShares: {
      reads: Number((reads.requests / total).toFixed(3)),
      updates: Number((updates.requests / total).toFixed(3)),
      deactivations: Number((deactivations.requests / total).toFixed(3)),
    },
    writeRates: rates,
    deactivationPool: mixed.deactivationPool.length,
    deactivationPoolExhausted: mixed.deactivationCursor >= mixed.deactivationPool.length,
    distinctUsersUpdated: mixed.updated.size,
    purge,
    purgeBacklogWaitMs: backlogMs,
    serverCpuUsPerRequest:
      cpuBefore === null || cpuAfter === null || total === 0 ? null : Math.round((1000 * (cpuAfter - cpuBefore)) / total),
    problems,
  };
}
