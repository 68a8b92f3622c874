// Purge: a user with many files (1 KB) and messages is deactivated through SCIM; the worker's
// time to purge, items/s and RSS are measured. Only the first message and file of each user go
// through the admin API (which also proves the storage layout); the rest are written directly
// into the product's tables and file storage in the same layout, because 20,000-100,000 signed
// uploads would dominate the run.
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { withDatabase } from './db.mjs';
import { adminRequest, adminUpload, basicAuthorization, httpRequest, isMissingRoute } from './http.mjs';
import { cpuTimeOf, exitedCleanly, loggedErrors, memoryOf, rssOf, sampleRss } from './processes.mjs';
import { newUserBody, PATCH_SCHEMA } from './scim-load.mjs';

const FILE_BYTES = 1024;

function scimHeaders(credentials) {
  return {
    authorization: basicAuthorization(credentials.scim.username, credentials.scim.password),
    'content-type': 'application/scim+json',
    accept: 'application/scim+json',
  };
}

export async function createUser(product, credentials, userName) {
  const response = await httpRequest(`${product.baseUrl}/scim/v2/Users`, {
    method: 'POST',
    headers: scimHeaders(credentials),
    body: newUserBody(userName, 0),
  });
  if (response.status !== 201) {
    throw new Error(`creating ${userName} answered ${response.status}: ${response.text}`);
  }
  return response.json.id;
}

export async function deactivate(product, credentials, userId) {
  const response = await httpRequest(`${product.baseUrl}/scim/v2/Users/${userId}`, {
    method: 'PATCH',
    headers: scimHeaders(credentials),
    body: { schemas: [PATCH_SCHEMA], Operations: [{ op: 'replace', value: { active: false } }] },
  });
  if (response.status !== 200 || response.json?.active !== false) {
    throw new Error(`deactivating ${userId} answered ${response.status}: ${response.text}`);
  }
}

function sqlDate(kind, date) {
  return kind === 'sqlite' ? date.toISOString().replace('T', ' ').replace('Z', '') : date;
}

/** Writes `count` messages and `count` 1 KB files for the user, in the product's tables and storage layout. */
export async function seedDirectly(product, organizationId, userId, { messages, files }) {
  const storageRoot = product.env.FILE_STORAGE_DIR;
  const userDir = join(storageRoot, organizationId, userId);
  mkdirSync(userDir, { recursive: true });
  const now = new Date();
  await withDatabase(product.target, async (db) => {
    const created = sqlDate(db.kind, now);
    const messageRows = [];
    for (let i = 0; i < messages; i += 1) {
      messageRows.push([organizationId, userId, `Bench message ${i}`, `Body of bench message ${i}. `.repeat(8), created]);
    }
    await db.insertMany('messages', ['organization_id', 'user_id', 'subject', 'body', 'created_at'], messageRows);
    const fileRows = [];
    for (let i = 0; i < files; i += 1) {
      const content = randomBytes(FILE_BYTES);
      const name = randomUUID();
      writeFileSync(join(userDir, name), content, { mode: 0o600 });
      fileRows.push([
        organizationId,
        userId,
        `file-${i}.bin`,
        String(FILE_BYTES),
        createHash('sha256').update(content).digest('hex'),
        `${organizationId}/${userId}/${name}`,
        created,
      ]);
    }
    await db.insertMany('files', ['organization_id', 'user_id', 'name', 'size_bytes', 'sha256', 'storage_key', 'created_at'], fileRows);
  });
}

/**
 * The history admin API, if this build has it: one message and one file through HTTP, and the
 * file's bytes found where the direct seeding will put the others. Returns { available, note }.
 */
async function seedThroughApi(product, credentials, userId, storedSizes) {
  const message = await adminRequest(product.baseUrl, credentials.apiKey, 'POST', `/admin/v1/users/${userId}/messages`, {
    subject: 'First bench message',
    body: 'Sent through the admin API.',
  });
  if (isMissingRoute(message)) {
    return { available: false, note: 'POST /admin/v1/users/:id/messages does not exist in this build' };
  }
  if (message.status !== 201) {
    throw new Error(`POST messages answered ${message.status}: ${message.text}`);
  }
  const content = randomBytes(FILE_BYTES);
  const upload = await adminUpload(product.baseUrl, credentials.apiKey, `/admin/v1/users/${userId}/files?name=first.bin`, content);
  if (isMissingRoute(upload)) {
    return { available: false, note: 'POST /admin/v1/users/:id/files does not exist in this build' };
  }
  if (upload.status !== 201) {
    throw new Error(`POST files answered ${upload.status}: ${upload.text}`);
  }
  const row = await withDatabase(product.target, (db) =>
    db.get('SELECT storage_key, size_bytes, sha256 FROM files WHERE id = ?', [upload.json.id]),
  );
  const path = join(product.env.FILE_STORAGE_DIR, String(row?.storage_key));
  const expectedPrefix = `${credentials.organizationId}/${userId}/`;
  if (!row || !String(row.storage_key).startsWith(expectedPrefix) || !existsSync(path) || !storedSizes.includes(statSync(path).size)) {
    throw new Error(
      `the uploaded file is not stored as <FILE_STORAGE_DIR>/<organization>/<user>/<name> (row ${JSON.stringify(row)}): the direct seeding would not match`,
    );
  }
  return { available: true, note: 'first message and file through the admin API, layout verified' };
}

async function purgeRow(product, userId) {
  return withDatabase(product.target, (db) =>
    db.get(
      'SELECT id, state, messages_total, files_total, messages_deleted, files_deleted, bytes_deleted, attempts, last_error, started_at, completed_at FROM purges WHERE user_id = ? ORDER BY requested_at DESC',
      [userId],
    ),
  );
}

function toDate(value) {
  if (value === null || value === undefined) {
    return null;
  }
  if (value instanceof Date) {
    return value;
  }
  const text = String(value);
  return new Date(`${text.replace(' ', 'T')}${/Z|[+-]\d\d:?\d\d$/.test(text) ? '' : 'Z'}`);
}

/** Polls the purge row until it is completed or failed, or the timeout passes. */
export async function waitForPurge(product, userId, timeoutMs, pollMs = 50) {
  const deadline = performance.now() + timeoutMs;
  let row = null;
  while (performance.now() < deadline) {
    row = await purgeRow(product, userId);
    if (row && (row.state === 'completed' || row.state === 'failed')) {
      return { row, finished: true };
    }
    await sleep(pollMs);
  }
  return { row, finished: false };
}

function countFiles(dir) {
  try {
    return readdirSync(dir).length;
  } catch {
    return 0;
  }
}

/**
 * What a finished purge did: its own started→completed time, and problems unless it completed
 * with exactly the user's messages, files and stored bytes deleted and nothing of them left.
 */
export async function purgeOutcome(product, credentials, userId, row, { messages, files }, label) {
  const problems = [];
  if (row.state !== 'completed') {
    problems.push(`purge ${label}: ${row.state} after ${row.attempts} attempts: ${row.last_error}`);
  }
  const startedAt = toDate(row.started_at);
  const completedAt = toDate(row.completed_at);
  const runMs = startedAt && completedAt ? completedAt.getTime() - startedAt.getTime() : null;
  const [remainingMessages, remainingFiles] = await withDatabase(product.target, async (db) => [
    Number(Object.values(await db.get('SELECT COUNT(*) FROM messages WHERE user_id = ?', [userId]))[0]),
    Number(Object.values(await db.get('SELECT COUNT(*) FROM files WHERE user_id = ?', [userId]))[0]),
  ]);
  const remainingBytes = countFiles(join(product.env.FILE_STORAGE_DIR, credentials.organizationId, userId));
  if (
    Number(row.messages_deleted) !== messages ||
    Number(row.files_deleted) !== files ||
    Number(row.bytes_deleted) !== files * FILE_BYTES ||
    remainingMessages !== 0 ||
    remainingFiles !== 0 ||
    remainingBytes !== 0
  ) {
    problems.push(
      `purge ${label}: deleted ${row.messages_deleted}/${messages} messages, ${row.files_deleted}/${files} files, ${row.bytes_deleted} bytes; ` +
        `${remainingMessages} message rows, ${remainingFiles} file rows and ${remainingBytes} stored files remain`,
    );
  }
  return { runMs, problems };
}

/** One measured purge of a user with `messages` messages and `files` files. */
async function measurePurge(product, credentials, label, { messages, files }, viaApi, storedSizes, problems) {
  const userId = await createUser(product, credentials, `purge-${label}-${randomBytes(3).toString('hex')}@example.com`);
  const seedStarted = performance.now();
  let throughApi = 0;
  if (viaApi) {
    await seedThroughApi(product, credentials, userId, storedSizes);
    throughApi = 1;
  }
  await seedDirectly(product, credentials.organizationId, userId, { messages: messages - throughApi, files: files - throughApi });
  const seedMs = performance.now() - seedStarted;
  if (viaApi) {
    const history = await adminRequest(product.baseUrl, credentials.apiKey, 'GET', `/admin/v1/users/${userId}/history`);
    if (
      history.status === 200 &&
      (history.json?.messages?.count !== messages ||
        history.json?.files?.count !== files ||
        history.json?.files?.bytes !== files * FILE_BYTES)
    ) {
      problems.push(`purge ${label}: the history API reports ${history.text} after seeding ${messages} messages and ${files} files`);
    }
  }
  // Settle, then measure: RSS before, peak while purging, after.
  await sleep(1000);
  const memoryBefore = memoryOf(product.proc.pid);
  const rssBefore = memoryBefore?.rss ?? null;
  const sampler = sampleRss(product.proc.pid, 20);
  const cpuBefore = cpuTimeOf(product.proc.pid);
  const started = performance.now();
  await deactivate(product, credentials, userId);
  const items = messages + files;
  const { row, finished } = await waitForPurge(product, userId, Math.max(60_000, items * 2));
  const wallMs = performance.now() - started;
  const cpuAfter = cpuTimeOf(product.proc.pid);
  const rss = sampler.stop();
  await sleep(500);
  const rssAfter = rssOf(product.proc.pid);

  const result = { label, messages, files, items, seedMs: Math.round(seedMs), state: row?.state ?? null };
  if (!finished) {
    problems.push(
      `purge ${label}: not finished after ${Math.round(wallMs)} ms (state ${row?.state}, deleted ${row?.messages_deleted} messages / ${row?.files_deleted} files)`,
    );
    return { ...result, wallMs: Math.round(wallMs), rssBefore, rssPeak: rss.peak, rssGrowth: rss.peak - rssBefore };
  }
  const { runMs, problems: outcomeProblems } = await purgeOutcome(product, credentials, userId, row, { messages, files }, label);
  problems.push(...outcomeProblems);
  const status = await adminRequest(product.baseUrl, credentials.apiKey, 'GET', `/admin/v1/purges/${row.id}`);
  let apiState = null;
  if (!isMissingRoute(status)) {
    apiState = status.json?.state ?? null;
    if (status.status !== 200 || apiState !== 'completed') {
      problems.push(`purge ${label}: GET /admin/v1/purges/:id answered ${status.status} ${status.text.slice(0, 300)}`);
    }
  }
  return {
    ...result,
    wallMs: Math.round(wallMs),
    runMs,
    itemsPerSecond: Math.round(items / ((runMs ?? wallMs) / 1000)),
    itemsPerSecondWall: Math.round(items / (wallMs / 1000)),
    // The product's CPU time from the deactivation to the completed purge, per 1,000 items: less
    // sensitive than wall time to other load on a shared machine (the database server's time aside).
    cpuMsPer1000Items: cpuBefore === null || cpuAfter === null ? null : Math.round(((cpuAfter - cpuBefore) * 1000) / items),
    rssBefore,
    rssPeak: rss.peak,
    rssAfter,
    rssGrowth: rss.peak - rssBefore,
    rssSamples: rss.samples,
    // Where the growth is: anonymous memory (JS heap, malloc) or file-backed / shared mappings (e.g. SQLite's WAL index).
    memoryBefore,
    memoryPeaks: { anon: rss.peakAnon, file: rss.peakFile, shmem: rss.peakShmem },
    apiState,
  };
}

/**
 * Runs the purge scenario on a fresh product instance. Reports { available: false, reason } when
 * this build has no purge runner (the purge record is written but nothing executes it).
 */
export async function runPurgeScenario(setup, { small, large, cpuProfileDir, log, probeTimeoutMs = 20_000 }) {
  const problems = [];
  // Due purges are looked for every second (default 30 s), so a runner without an immediate
  // dispatch still starts promptly; the figures use the runner's own started/completed times.
  const product = await setup.startProduct('purge', { cpuProfileDir, extraEnv: { PURGE_RECONCILE_INTERVAL_MS: '1000' } });
  try {
    const credentials = await setup.credentialsFor(product);
    // Probe: is there a history API, and does anything execute purges?
    const probeUser = await createUser(product, credentials, `purge-probe-${randomBytes(3).toString('hex')}@example.com`);
    // Uploads are stored encrypted (larger than the content) by builds that seal history content;
    // the direct seeding writes plaintext rows and files, which such builds keep as legacy content.
    const format = join(setup.distDir, 'src/content-encryption/file-format.js');
    const storedSizes = existsSync(format) ? [FILE_BYTES, createRequire(format)(format).encryptedFileSize(FILE_BYTES)] : [FILE_BYTES];
    const api = await seedThroughApi(product, credentials, probeUser, storedSizes);
    log(`purge: history API: ${api.note}`);
    if (!api.available) {
      await seedDirectly(product, credentials.organizationId, probeUser, { messages: 1, files: 1 });
    }
    await deactivate(product, credentials, probeUser);
    const probe = await waitForPurge(product, probeUser, probeTimeoutMs, 100);
    if (!probe.finished) {
      const reason =
        probe.row?.state === 'pending' && !probe.row?.started_at
          ? `no purge runner in this build: the purge record stayed pending for ${probeTimeoutMs / 1000} s`
          : `the probe purge did not finish within ${probeTimeoutMs / 1000} s (state ${probe.row?.state})`;
      if (!(probe.row?.state === 'pending' && !probe.row?.started_at)) {
        problems.push(reason);
      }
      return { available: false, reason, historyApi: api, problems };
    }
    if (probe.row.state !== 'completed') {
      problems.push(`purge probe: ${probe.row.state}: ${probe.row.last_error}`);
    }
    log(`purge: ${small.messages + small.files} items`);
    const smallRun = await measurePurge(product, credentials, 'small', small, api.available, storedSizes, problems);
    log(`purge: ${large.messages + large.files} items`);
    const largeRun = await measurePurge(product, credentials, 'large', large, api.available, storedSizes, problems);
    return {
      available: true,
      historyApi: api,
      seeding: api.available
        ? 'first message and file via the admin API, the rest directly into the tables and storage'
        : 'directly into the tables and storage (no history API)',
      runs: [smallRun, largeRun],
      problems,
    };
  } finally {
    const exit = await product.proc.stop();
    if (!exitedCleanly(exit)) {
      problems.push(`purge product instance did not shut down cleanly on SIGTERM (${JSON.stringify(exit)})`);
    }
    const errors = loggedErrors(product.proc.logFile);
    if (errors.count > 0) {
      problems.push(`purge product instance logged ${errors.count} error(s): ${errors.examples.join('; ')}`);
    }
  }
}
