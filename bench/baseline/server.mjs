// The baseline: the fastest honest Node server for the five benchmarked SCIM requests (and, in
// files.mjs, the unencrypted file path of the history scenario), on the
// product's own schema. Plain node:http, no framework, no ORM, no logging; HTTP Basic checked
// against a SHA-256 hash held in memory; mysql2 prepared statements or better-sqlite3.
// Configured by environment (see bench/lib/servers.mjs, which starts it).
import { Buffer } from 'node:buffer';
import { createHash, randomUUID, timingSafeEqual } from 'node:crypto';
import { createServer } from 'node:http';
import { URLSearchParams } from 'node:url';
import { createFileRoutes } from './files.mjs';
import { createMysqlStore } from './mysql-store.mjs';
import {
  ERROR_SCHEMA,
  etagOf,
  integerParameter,
  LIST_SCHEMA,
  MEDIA_TYPE,
  normalizeUserName,
  readNewUser,
  readPatch,
  readReplacement,
  readUserNameFilter,
  ScimError,
  toResource,
} from './scim.mjs';
import { createSqliteStore } from './sqlite-store.mjs';

const env = process.env;
const PORT = Number(env.PORT ?? 3100);
const HOST = env.HOST ?? '127.0.0.1';
const SCIM_BASE_URL = `${env.BASELINE_PUBLIC_BASE_URL ?? `http://${HOST}:${PORT}`}/scim/v2`;
const ORGANIZATION_ID = required('BASELINE_ORGANIZATION_ID');
const USERNAME = Buffer.from(required('BASELINE_SCIM_USERNAME'), 'utf8');
const PASSWORD_SHA256 = Buffer.from(required('BASELINE_SCIM_PASSWORD_SHA256'), 'hex');
const BODY_LIMIT = 1024 * 1024;
const MAX_RESULTS = 200;
const USERS_PATH = '/scim/v2/Users';
const MAX_WRITE_ATTEMPTS = 3;
const handleFiles = createFileRoutes(required('BASELINE_FILES_DIR'), Number(env.BASELINE_FILE_MAX_BYTES ?? 100 * 1024 * 1024));

function required(name) {
  const value = env[name];
  if (!value) {
    process.stderr.write(`baseline: ${name} is required\n`);
    process.exit(2);
  }
  return value;
}

const store =
  env.BASELINE_DB === 'mysql'
    ? await createMysqlStore(required('BASELINE_MYSQL_URL'), Number(env.BASELINE_POOL_SIZE ?? 10))
    : createSqliteStore(required('BASELINE_SQLITE_FILE'));

function send(res, status, body, headers = {}) {
  const payload = body === undefined ? '' : JSON.stringify(body);
  res.writeHead(status, { 'Content-Type': MEDIA_TYPE, 'Content-Length': Buffer.byteLength(payload), ...headers });
  res.end(payload);
}

function sendError(res, status, detail, scimType) {
  send(res, status, { schemas: [ERROR_SCHEMA], status: String(status), ...(scimType ? { scimType } : {}), detail });
}

function sendUser(res, status, row, extraHeaders = {}) {
  const resource = toResource(row, SCIM_BASE_URL);
  send(res, status, resource, { ETag: etagOf(row.version), ...extraHeaders });
}

/** HTTP Basic: constant-time username and SHA-256(password) comparison. */
function authenticated(req) {
  const header = req.headers.authorization;
  if (typeof header !== 'string' || !header.startsWith('Basic ')) {
    return false;
  }
  const decoded = Buffer.from(header.slice(6), 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) {
    return false;
  }
  const username = Buffer.from(decoded.slice(0, colon), 'utf8');
  const passwordHash = createHash('sha256')
    .update(decoded.slice(colon + 1), 'utf8')
    .digest();
  const usernameOk = username.length === USERNAME.length && timingSafeEqual(username, USERNAME);
  return timingSafeEqual(passwordHash, PASSWORD_SHA256) && usernameOk;
}

function readJson(req) {
  const type = String(req.headers['content-type'] ?? '')
    .split(';')[0]
    .trim()
    .toLowerCase();
  if (type !== 'application/scim+json' && type !== 'application/json') {
    req.resume();
    return Promise.reject(new ScimError(415, 'Send the body as application/scim+json (or application/json).'));
  }
  return new Promise((resolve, reject) => {
    const chunks = [];
    let size = 0;
    req.on('data', (chunk) => {
      size += chunk.length;
      if (size > BODY_LIMIT) {
        reject(new ScimError(413, 'The request body is too large.'));
        req.destroy();
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => {
      try {
        resolve(JSON.parse(Buffer.concat(chunks).toString('utf8')));
      } catch {
        reject(new ScimError(400, 'The request body is not valid JSON.', 'invalidSyntax'));
      }
    });
    req.on('error', reject);
  });
}

async function list(res, query) {
  const params = new URLSearchParams(query);
  const filter = params.get('filter');
  if (filter === null) {
    throw new ScimError(400, 'The baseline serves filtered lists only.', 'invalidFilter');
  }
  const userName = readUserNameFilter(filter);
  const startIndex = Math.max(1, integerParameter(params.get('startIndex') ?? undefined, 1));
  const count = Math.min(MAX_RESULTS, Math.max(0, integerParameter(params.get('count') ?? undefined, 100)));
  // userName is unique per organization, so the candidates are one row at most: page in memory.
  const rows = await store.findByUserName(ORGANIZATION_ID, normalizeUserName(userName));
  const page = rows.slice(startIndex - 1, startIndex - 1 + count);
  send(res, 200, {
    schemas: [LIST_SCHEMA],
    totalResults: rows.length,
    startIndex,
    itemsPerPage: page.length,
    Resources: page.map((row) => toResource(row, SCIM_BASE_URL)),
  });
}

async function create(req, res) {
  const input = readNewUser(await readJson(req));
  const now = new Date();
  const row = {
    id: randomUUID(),
    organization_id: ORGANIZATION_ID,
    user_name: input.userName,
    user_name_normalized: normalizeUserName(input.userName),
    email: input.email,
    given_name: input.active ? input.givenName : null,
    family_name: input.active ? input.familyName : null,
    external_id: input.externalId,
    active: input.active,
    created_at: now,
    updated_at: now,
    version: 1,
  };
  if (!(await store.insert(row))) {
    throw new ScimError(409, `A user with userName "${input.userName}" already exists.`, 'uniqueness');
  }
  sendUser(res, 201, row, { Location: `${SCIM_BASE_URL}/Users/${row.id}` });
}

/** Applies name/active changes with an optimistic version check; deactivation goes through the purge transaction. */
async function change(res, id, changes) {
  const onlyDeactivates = changes.active === false && Object.keys(changes).length === 1;
  for (let attempt = 1; attempt <= MAX_WRITE_ATTEMPTS; attempt += 1) {
    if (onlyDeactivates) {
      // Okta's deactivation: straight into the transaction, which reads the row itself.
      const result = await store.deactivate(ORGANIZATION_ID, id, randomUUID(), new Date());
      if (result === null) {
        throw new ScimError(404, 'User not found.');
      }
      if (result !== 'conflict') {
        sendUser(res, 200, result);
        return;
      }
      continue;
    }
    const row = await store.findById(ORGANIZATION_ID, id);
    if (!row) {
      throw new ScimError(404, 'User not found.');
    }
    if (changes.userName !== undefined && normalizeUserName(changes.userName) !== row.user_name_normalized) {
      throw new ScimError(400, 'userName cannot be changed.', 'mutability');
    }
    const active = changes.active ?? Boolean(row.active);
    if (row.active && !active) {
      const result = await store.deactivate(ORGANIZATION_ID, id, randomUUID(), new Date());
      if (result === null) {
        throw new ScimError(404, 'User not found.');
      }
      if (result !== 'conflict') {
        sendUser(res, 200, result);
        return;
      }
      continue;
    }
    const next = {
      active,
      given_name: active ? (changes.givenName !== undefined ? changes.givenName : row.given_name) : null,
      family_name: active ? (changes.familyName !== undefined ? changes.familyName : row.family_name) : null,
    };
    if (Boolean(row.active) === next.active && row.given_name === next.given_name && row.family_name === next.family_name) {
      sendUser(res, 200, row);
      return;
    }
    const now = new Date();
    if (await store.updateProfile(row, next, now)) {
      sendUser(res, 200, { ...row, ...next, active: next.active ? 1 : 0, updated_at: now, version: row.version + 1 });
      return;
    }
  }
  throw new ScimError(412, 'The user was changed concurrently; read it again and retry.');
}

async function handle(req, res) {
  const url = req.url ?? '/';
  const queryAt = url.indexOf('?');
  const path = queryAt < 0 ? url : url.slice(0, queryAt);
  const query = queryAt < 0 ? '' : url.slice(queryAt + 1);

  if (path === '/health/ready' || path === '/health/live') {
    send(res, 200, { status: (await store.ping()) ? 'ok' : 'error' });
    return;
  }
  if (path.startsWith('/bench/')) {
    if (!authenticated(req)) {
      req.resume();
      sendError(res, 401, 'Authentication failed.');
      return;
    }
    if (await handleFiles(req, res, path, (status, body) => send(res, status, body))) {
      return;
    }
  }
  if (path !== USERS_PATH && !path.startsWith(`${USERS_PATH}/`)) {
    sendError(res, 404, 'Not found.');
    return;
  }
  if (!authenticated(req)) {
    req.resume();
    sendError(res, 401, 'Authentication failed.');
    return;
  }
  if (path === USERS_PATH) {
    if (req.method === 'GET') {
      return list(res, query);
    }
    if (req.method === 'POST') {
      return create(req, res);
    }
    sendError(res, 405, 'Use GET or POST.');
    return;
  }
  const id = decodeURIComponent(path.slice(USERS_PATH.length + 1));
  switch (req.method) {
    case 'GET': {
      const row = await store.findById(ORGANIZATION_ID, id);
      if (!row) {
        throw new ScimError(404, 'User not found.');
      }
      sendUser(res, 200, row);
      return;
    }
    case 'PUT':
      return change(res, id, readReplacement(await readJson(req)));
    case 'PATCH':
      return change(res, id, readPatch(await readJson(req)));
    default:
      sendError(res, 405, 'Use GET, PUT or PATCH.');
  }
}

const server = createServer((req, res) => {
  handle(req, res).catch((error) => {
    if (res.headersSent) {
      res.destroy();
      return;
    }
    if (error instanceof ScimError) {
      sendError(res, error.status, error.message, error.scimType);
      return;
    }
    process.stderr.write(`baseline: ${error?.stack ?? error}\n`);
    sendError(res, 500, 'Internal error.');
  });
});

function shutdown() {
  server.close(() => {
    Promise.resolve(store.close()).finally(() => process.exit(0));
  });
  server.closeIdleConnections();
}
process.once('SIGTERM', shutdown);
process.once('SIGINT', shutdown);

server.listen(PORT, HOST, () => {
  process.stdout.write(`baseline (${store.kind}) listening on http://${HOST}:${PORT}\n`);
});
