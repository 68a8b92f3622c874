// The SCIM load: seeding (= bulk import), the five request scenarios with autocannon, and the
// correctness checks of each (a sample response body per scenario, plus database counts).
import { createRequire } from 'node:module';
import { performance } from 'node:perf_hooks';
import { withDatabase } from './db.mjs';
import { basicAuthorization, httpRequest } from './http.mjs';
import { cpuTimeOf } from './processes.mjs';

const require = createRequire(import.meta.url);
const autocannon = require('autocannon');

export const USER_SCHEMA = 'urn:ietf:params:scim:schemas:core:2.0:User';
export const LIST_SCHEMA = 'urn:ietf:params:scim:api:messages:2.0:ListResponse';
export const PATCH_SCHEMA = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';
export const SCENARIOS = ['filter', 'get', 'post', 'put', 'patch'];
export const SCENARIO_TITLES = {
  filter: 'GET /Users?filter=userName eq',
  get: 'GET /Users/:id',
  post: 'POST /Users',
  put: 'PUT /Users/:id (names)',
  patch: 'PATCH /Users/:id active=false',
};
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** A deterministic generator, so product and baseline get the same sequence of picks. */
function prng(seed) {
  let state = seed >>> 0;
  return () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state;
  };
}

export function newUserBody(userName, index) {
  return {
    schemas: [USER_SCHEMA],
    userName,
    externalId: `ext-${index}`,
    name: { givenName: `Given${index}`, familyName: `Family${index}` },
    emails: [{ value: userName, type: 'work', primary: true }],
    active: true,
  };
}

function scimHeaders(server) {
  return {
    authorization: basicAuthorization(server.credentials.scim.username, server.credentials.scim.password),
    accept: 'application/scim+json',
    'content-type': 'application/scim+json',
  };
}

/** Load state of one server: its users, cursors and counters. */
export function loadState(server, tag) {
  return {
    server,
    tag,
    headers: scimHeaders(server),
    seeded: [],
    posted: [],
    // Requests sent but not answered when a run stopped: the server may still have applied them.
    unanswered: { seed: 0, post: 0, put: 0, patch: 0 },
    putIds: new Set(),
    patchedIds: new Set(),
    patchCursor: 0,
    putCursor: 0,
    postCounter: 0,
    random: prng(20261128),
  };
}

function summarize(result, durationMs) {
  const seconds = durationMs / 1000;
  return {
    durationSeconds: Number(seconds.toFixed(2)),
    requests: result.requests.total,
    unanswered: Math.max(0, result.requests.sent - result.requests.total),
    ok: result['2xx'],
    rps: Number((result['2xx'] / seconds).toFixed(1)),
    latencyMs: {
      mean: result.latency.mean,
      p50: result.latency.p50,
      p90: result.latency.p90,
      p99: result.latency.p99,
      max: result.latency.max,
    },
    non2xx: result.non2xx,
    errors: result.errors,
    timeouts: result.timeouts,
    statusCodes: Object.fromEntries(Object.entries(result.statusCodeStats).map(([code, { count }]) => [code, count])),
  };
}

/** An autocannon run against state.server, with the server's CPU time per request. */
export async function cannon(state, options) {
  const pid = state.server.proc.pid;
  const cpuBefore = cpuTimeOf(pid);
  const started = performance.now();
  const result = await autocannon({
    url: state.server.baseUrl,
    pipelining: 1,
    timeout: 30,
    headers: state.headers,
    ...options,
  });
  const summary = summarize(result, performance.now() - started);
  const cpuAfter = cpuTimeOf(pid);
  // The server's own CPU time per response: what a request costs it, much less sensitive than
  // req/s to other load on a shared machine.
  summary.cpuMs = cpuBefore === null || cpuAfter === null ? null : Math.round(cpuAfter - cpuBefore);
  summary.cpuUsPerRequest = summary.cpuMs === null || summary.requests === 0 ? null : Math.round((1000 * summary.cpuMs) / summary.requests);
  summary.serverCpuUtilization = summary.cpuMs === null ? null : Number((summary.cpuMs / (summary.durationSeconds * 1000)).toFixed(2));
  return summary;
}

/**
 * `count` users created by POST with `connections` concurrent clients, named userNameOf(index);
 * each answered 201 is pushed onto `created` as { id, userName }.
 */
export async function createUsers(state, { count, connections, userNameOf, created }) {
  let next = 0;
  const summary = await cannon(state, {
    connections: Math.min(connections, count),
    amount: count,
    requests: [
      {
        method: 'POST',
        path: '/scim/v2/Users',
        setupRequest(request) {
          const index = next;
          next += 1;
          request.body = JSON.stringify(newUserBody(userNameOf(index), index));
          return request;
        },
        onResponse(status, body) {
          if (status === 201) {
            const user = JSON.parse(body);
            created.push({ id: user.id, userName: user.userName });
          }
        },
      },
    ],
  });
  return { ...summary, created: created.length };
}

/**
 * Bulk import: `count` users created by POST with `connections` concurrent clients. The created
 * users are the seeded population of every later scenario.
 */
export async function seedUsers(state, { count, connections }) {
  const summary = await createUsers(state, {
    count,
    connections,
    userNameOf: (index) => `bench.user.${index}@example.com`,
    created: state.seeded,
  });
  state.unanswered.seed += summary.unanswered;
  return summary;
}

/** The autocannon requests of one scenario for one server. */
function scenarioRequests(name, state) {
  const { seeded, random } = state;
  switch (name) {
    case 'filter': {
      const paths = seeded.map(
        (user) => `/scim/v2/Users?filter=${encodeURIComponent(`userName eq "${user.userName}"`)}&startIndex=1&count=100`,
      );
      return { requests: [{ method: 'GET', setupRequest: (request) => ({ ...request, path: paths[random() % paths.length] }) }] };
    }
    case 'get': {
      const paths = seeded.map((user) => `/scim/v2/Users/${user.id}`);
      return { requests: [{ method: 'GET', setupRequest: (request) => ({ ...request, path: paths[random() % paths.length] }) }] };
    }
    case 'post':
      return {
        requests: [
          {
            method: 'POST',
            path: '/scim/v2/Users',
            setupRequest(request) {
              state.postCounter += 1;
              request.body = JSON.stringify(newUserBody(`post-${state.tag}-${state.postCounter}@example.com`, state.postCounter));
              return request;
            },
            onResponse(status, body) {
              if (status === 201) {
                const user = JSON.parse(body);
                state.posted.push({ id: user.id, userName: user.userName });
              }
            },
          },
        ],
      };
    case 'put': {
      // Each request on the next user in turn (seeded, then posted), with a name never used before.
      const pool = [...seeded, ...state.posted];
      return {
        requests: [
          {
            method: 'PUT',
            setupRequest(request, context) {
              const user = pool[state.putCursor % pool.length];
              state.putCursor += 1;
              context.userId = user.id;
              return {
                ...request,
                path: `/scim/v2/Users/${user.id}`,
                body: JSON.stringify({
                  schemas: [USER_SCHEMA],
                  userName: user.userName,
                  name: { givenName: `Put${state.putCursor}`, familyName: `Renamed${state.putCursor}` },
                  emails: [{ value: user.userName, type: 'work', primary: true }],
                  active: true,
                }),
              };
            },
            onResponse(status, _body, context) {
              if (status === 200) {
                state.putIds.add(context.userId);
              }
            },
          },
        ],
      };
    }
    case 'patch': {
      // Each request deactivates a distinct, still active user: the run stops when none is left.
      const pool = patchPool(state);
      const body = JSON.stringify({ schemas: [PATCH_SCHEMA], Operations: [{ op: 'replace', value: { active: false } }] });
      return {
        maxOverallRequests: Math.max(1, patchLoadLeft(state)),
        requests: [
          {
            method: 'PATCH',
            setupRequest(request, context) {
              // maxOverallRequests keeps the cursor short of the user kept for the sample check.
              const user = pool[Math.min(state.patchCursor, pool.length - 2)];
              state.patchCursor += 1;
              context.userId = user.id;
              return { ...request, path: `/scim/v2/Users/${user.id}`, body };
            },
            onResponse(status, _body, context) {
              if (status === 200) {
                state.patchedIds.add(context.userId);
              }
            },
          },
        ],
      };
    }
    default:
      throw new Error(`unknown scenario ${name}`);
  }
}

/**
 * Active users the PATCH load may still deactivate: the last one is kept for the sample check,
 * which a fast server would otherwise find none left for in a short (smoke) run.
 */
function patchLoadLeft(state) {
  return patchPool(state).length - 1 - state.patchCursor;
}

/** Users the PATCH scenario deactivates, in order: posted first (never read by other scenarios), then seeded. */
function patchPool(state) {
  if (!state.patchPoolCache) {
    state.patchPoolCache = [...state.posted, ...[...state.seeded].reverse()];
  }
  return state.patchPoolCache;
}

/** Seeded users no deactivation was sent for (by the PATCH scenario, its warm-up or its sample check). */
export function activeSeededUsers(state) {
  if (state.patchCursor === 0) {
    return [...state.seeded];
  }
  const deactivated = new Set(
    patchPool(state)
      .slice(0, state.patchCursor)
      .map((user) => user.id),
  );
  return state.seeded.filter((user) => !deactivated.has(user.id));
}

/** Warm-up (not measured), then the measured run. */
export async function runScenario(name, state, { connections, durationSeconds, warmupSeconds }) {
  // PATCH: never more connections than active users left (autocannon would then not limit them).
  const connectionsFor = () => (name === 'patch' ? Math.min(connections, patchLoadLeft(state)) : connections);
  if (warmupSeconds > 0 && connectionsFor() > 0) {
    const warm = scenarioRequests(name, state);
    const warmup = await cannon(state, { connections: connectionsFor(), duration: warmupSeconds, ...warm });
    state.unanswered[name] = (state.unanswered[name] ?? 0) + warmup.unanswered;
  }
  if (connectionsFor() <= 0) {
    throw new Error(`${name}: no active user left to deactivate (seed more users)`);
  }
  const measured = scenarioRequests(name, state);
  const summary = await cannon(state, { connections: connectionsFor(), duration: durationSeconds, ...measured });
  state.unanswered[name] = (state.unanswered[name] ?? 0) + summary.unanswered;
  if (name === 'patch') {
    summary.pool = patchPool(state).length;
    summary.poolExhausted = patchLoadLeft(state) <= 0;
  }
  if (name === 'put') {
    summary.distinctUsers = state.putIds.size;
  }
  return summary;
}

// ---------------------------------------------------------------------------------------------
// Correctness: one sample request per scenario with its body checked, plus database counts.

function fail(problems, message) {
  problems.push(message);
}

function checkUserResource(problems, resource, expected, label) {
  if (!resource || typeof resource !== 'object') {
    fail(problems, `${label}: no JSON body`);
    return;
  }
  if (!Array.isArray(resource.schemas) || resource.schemas[0] !== USER_SCHEMA) {
    fail(problems, `${label}: schemas is ${JSON.stringify(resource.schemas)}`);
  }
  if (!UUID.test(String(resource.id))) {
    fail(problems, `${label}: id ${resource.id} is not a UUID`);
  }
  for (const [key, value] of Object.entries(expected)) {
    const actual = key.split('.').reduce((object, part) => object?.[part], resource);
    if (actual !== value) {
      fail(problems, `${label}: ${key} is ${JSON.stringify(actual)}, expected ${JSON.stringify(value)}`);
    }
  }
  if (resource.meta?.resourceType !== 'User' || !String(resource.meta?.location).endsWith(`/scim/v2/Users/${resource.id}`)) {
    fail(problems, `${label}: meta is ${JSON.stringify(resource.meta)}`);
  }
  if (Number.isNaN(Date.parse(resource.meta?.created)) || Number.isNaN(Date.parse(resource.meta?.lastModified))) {
    fail(problems, `${label}: meta.created/lastModified are not dates`);
  }
}

function checkScimResponse(problems, response, status, label) {
  if (response.status !== status) {
    fail(problems, `${label}: HTTP ${response.status} (expected ${status}): ${response.text.slice(0, 300)}`);
    return false;
  }
  if (!String(response.headers['content-type']).startsWith('application/scim+json')) {
    fail(problems, `${label}: Content-Type ${response.headers['content-type']}`);
  }
  return true;
}

function checkEtag(problems, response, label) {
  if (response.json?.meta?.version && response.headers.etag !== response.json.meta.version) {
    fail(problems, `${label}: ETag ${response.headers.etag} differs from meta.version ${response.json.meta.version}`);
  }
}

/** One sample of the scenario's request, its body checked; returns { problems, sample }. */
export async function sampleCheck(name, state) {
  const problems = [];
  const { server, headers, seeded } = state;
  const url = (path) => `${server.baseUrl}${path}`;
  const pick = seeded[Math.floor(seeded.length / 2)];
  let sample = null;
  switch (name) {
    case 'filter': {
      const path = `/scim/v2/Users?filter=${encodeURIComponent(`userName eq "${pick.userName.toUpperCase()}"`)}&startIndex=1&count=100`;
      const response = await httpRequest(url(path), { headers });
      sample = response.json;
      if (checkScimResponse(problems, response, 200, 'filter')) {
        const body = response.json;
        if (
          body?.schemas?.[0] !== LIST_SCHEMA ||
          body.totalResults !== 1 ||
          body.itemsPerPage !== 1 ||
          body.startIndex !== 1 ||
          body.Resources?.length !== 1
        ) {
          fail(problems, `filter: expected exactly one result, got ${response.text.slice(0, 300)}`);
        } else {
          checkUserResource(problems, body.Resources[0], { id: pick.id, userName: pick.userName }, 'filter result');
        }
      }
      const miss = await httpRequest(
        url(`/scim/v2/Users?filter=${encodeURIComponent('userName eq "nobody@nowhere.example"')}&startIndex=1&count=100`),
        { headers },
      );
      if (miss.status !== 200 || miss.json?.totalResults !== 0 || miss.json?.Resources?.length !== 0) {
        fail(problems, `filter (no match): HTTP ${miss.status} ${miss.text.slice(0, 200)}`);
      }
      break;
    }
    case 'get': {
      const response = await httpRequest(url(`/scim/v2/Users/${pick.id}`), { headers });
      sample = response.json;
      if (checkScimResponse(problems, response, 200, 'get')) {
        checkUserResource(problems, response.json, { id: pick.id, userName: pick.userName, 'emails.0.value': pick.userName }, 'get');
        checkEtag(problems, response, 'get');
      }
      const missing = await httpRequest(url('/scim/v2/Users/00000000-0000-4000-8000-000000000000'), { headers });
      if (missing.status !== 404) {
        fail(problems, `get (unknown id): HTTP ${missing.status}`);
      }
      break;
    }
    case 'post': {
      state.postCounter += 1;
      const userName = `post-${state.tag}-${state.postCounter}@example.com`;
      const body = newUserBody(userName, state.postCounter);
      const response = await httpRequest(url('/scim/v2/Users'), { method: 'POST', headers, body });
      sample = response.json;
      if (checkScimResponse(problems, response, 201, 'post')) {
        checkUserResource(
          problems,
          response.json,
          {
            userName,
            active: true,
            externalId: body.externalId,
            'name.givenName': body.name.givenName,
            'name.familyName': body.name.familyName,
            'emails.0.value': userName,
          },
          'post',
        );
        checkEtag(problems, response, 'post');
        if (response.headers.location !== response.json.meta?.location) {
          fail(problems, `post: Location ${response.headers.location} differs from meta.location`);
        }
        state.posted.push({ id: response.json.id, userName });
        const read = await httpRequest(url(`/scim/v2/Users/${response.json.id}`), { headers });
        if (read.status !== 200 || read.json?.userName !== userName) {
          fail(problems, `post: the created user does not read back (HTTP ${read.status})`);
        }
      }
      const duplicate = await httpRequest(url('/scim/v2/Users'), {
        method: 'POST',
        headers,
        body: { ...body, userName: userName.toUpperCase() },
      });
      if (duplicate.status !== 409 || duplicate.json?.scimType !== 'uniqueness') {
        fail(problems, `post (duplicate userName): HTTP ${duplicate.status} ${duplicate.text.slice(0, 200)}`);
      }
      break;
    }
    case 'put': {
      const user = seeded[1];
      const before = await httpRequest(url(`/scim/v2/Users/${user.id}`), { headers });
      const body = {
        schemas: [USER_SCHEMA],
        userName: user.userName,
        name: { givenName: 'Sample', familyName: `Put-${state.tag}` },
        emails: [{ value: user.userName, type: 'work', primary: true }],
        active: true,
      };
      const response = await httpRequest(url(`/scim/v2/Users/${user.id}`), { method: 'PUT', headers, body });
      sample = response.json;
      if (checkScimResponse(problems, response, 200, 'put')) {
        checkUserResource(
          problems,
          response.json,
          {
            id: user.id,
            userName: user.userName,
            'name.givenName': 'Sample',
            'name.familyName': `Put-${state.tag}`,
            displayName: `Sample Put-${state.tag}`,
          },
          'put',
        );
        checkEtag(problems, response, 'put');
        const versionOf = (etag) => Number(/"(\d+)"/.exec(String(etag))?.[1]);
        if (versionOf(response.headers.etag) !== versionOf(before.headers.etag) + 1) {
          fail(problems, `put: version went from ${before.headers.etag} to ${response.headers.etag}`);
        }
        state.putIds.add(user.id);
      }
      const renamed = await httpRequest(url(`/scim/v2/Users/${user.id}`), {
        method: 'PUT',
        headers,
        body: { ...body, userName: `renamed-${user.userName}` },
      });
      if (renamed.status !== 400 || renamed.json?.scimType !== 'mutability') {
        fail(problems, `put (userName change): HTTP ${renamed.status} ${renamed.text.slice(0, 200)}`);
      }
      break;
    }
    case 'patch': {
      const pool = patchPool(state);
      const user = pool[state.patchCursor];
      if (!user) {
        fail(problems, 'patch: no active user left for the sample');
        break;
      }
      state.patchCursor += 1;
      const body = { schemas: [PATCH_SCHEMA], Operations: [{ op: 'replace', value: { active: false } }] };
      const response = await httpRequest(url(`/scim/v2/Users/${user.id}`), { method: 'PATCH', headers, body });
      sample = response.json;
      if (checkScimResponse(problems, response, 200, 'patch')) {
        checkUserResource(
          problems,
          response.json,
          { id: user.id, userName: user.userName, active: false, 'name.givenName': undefined, displayName: undefined },
          'patch',
        );
        state.patchedIds.add(user.id);
      }
      const read = await httpRequest(url(`/scim/v2/Users/${user.id}`), { headers });
      if (read.status !== 200 || read.json?.active !== false) {
        fail(problems, `patch: the user does not read back inactive (HTTP ${read.status})`);
      }
      break;
    }
    default:
      throw new Error(`unknown scenario ${name}`);
  }
  return { problems, sample };
}

/**
 * The database agrees with what the load did: every 201 of POST is a row, every PUT changed the
 * names of that user, every PATCH deactivated its user and recorded exactly one purge.
 */
export async function databaseCheck(name, state) {
  const problems = [];
  const { target } = state.server;
  const organizationId = state.server.credentials.organizationId;
  // Rows must match the 2xx answers, give or take the requests that were in flight when a run stopped.
  const within = (label, rows, answered, slack) => {
    if (rows < answered || rows > answered + slack) {
      fail(problems, `${name}: ${rows} ${label}, but ${answered} answered 2xx (+ up to ${slack} unanswered in flight)`);
    }
  };
  await withDatabase(target, async (db) => {
    const count = async (sql, params) => Number(Object.values(await db.get(sql, params))[0]);
    const inactive = db.kind === 'sqlite' ? 0 : false;
    switch (name) {
      case 'seed':
        within(
          'seeded rows',
          await count("SELECT COUNT(*) FROM users WHERE organization_id = ? AND user_name_normalized LIKE 'bench.user.%'", [
            organizationId,
          ]),
          state.seeded.length,
          state.unanswered.seed,
        );
        break;
      case 'post':
        within(
          'posted rows',
          await count('SELECT COUNT(*) FROM users WHERE organization_id = ? AND user_name_normalized LIKE ?', [
            organizationId,
            `post-${state.tag}-%`,
          ]),
          state.posted.length,
          state.unanswered.post,
        );
        break;
      case 'put':
        within(
          'users carrying a PUT name',
          await count("SELECT COUNT(*) FROM users WHERE organization_id = ? AND (given_name LIKE 'Put%' OR given_name = 'Sample')", [
            organizationId,
          ]),
          state.putIds.size,
          state.unanswered.put,
        );
        break;
      case 'patch': {
        const deactivated = await count('SELECT COUNT(*) FROM users WHERE organization_id = ? AND active = ?', [organizationId, inactive]);
        const purges = await count('SELECT COUNT(*) FROM purges WHERE organization_id = ?', [organizationId]);
        const purgedUsers = await count('SELECT COUNT(DISTINCT user_id) FROM purges WHERE organization_id = ?', [organizationId]);
        const keptNames = await count(
          'SELECT COUNT(*) FROM users WHERE organization_id = ? AND active = ? AND (given_name IS NOT NULL OR family_name IS NOT NULL)',
          [organizationId, inactive],
        );
        within('inactive users', deactivated, state.patchedIds.size, state.unanswered.patch);
        if (purges !== deactivated || purgedUsers !== deactivated || keptNames !== 0) {
          fail(
            problems,
            `patch: ${deactivated} inactive users, ${purges} purges for ${purgedUsers} users, ${keptNames} inactive users kept their names`,
          );
        }
        break;
      }
      default:
        break;
    }
  });
  return problems;
}

/** The structure of a JSON value (keys and types, not values), for comparing product and baseline bodies. */
export function shapeOf(value) {
  if (Array.isArray(value)) {
    return value.length === 0 ? [] : [shapeOf(value[0])];
  }
  if (value && typeof value === 'object') {
    return Object.fromEntries(
      Object.keys(value)
        .sort()
        .map((key) => [key, shapeOf(value[key])]),
    );
  }
  return typeof value;
}
