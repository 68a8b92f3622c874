// History content (issue 13): what sealing messages and encrypting file bytes costs. On the
// product: signed message create and read (50 decrypted a page) under load, and one large file
// uploaded and downloaded through the admin API (streamed, encrypted, SHA-256 over the plaintext).
// On the baseline: the same file through its plain, unencrypted endpoints (bench/baseline/files.mjs),
// the yardstick of the throughput ratios.
import { Buffer } from 'node:buffer';
import { createHash, randomBytes } from 'node:crypto';
import { request } from 'node:http';
import { performance } from 'node:perf_hooks';
import { adminHeaders, adminRequest, httpRequest } from './http.mjs';
import { cpuTimeOf } from './processes.mjs';
import { cannon, newUserBody } from './scim-load.mjs';

export const HISTORY = 'history';
export const MIB = 1024 * 1024;
export const FILE_RUNS = 3;
const READ_LIMIT = 50;
const TRANSFER_TIMEOUT_MS = 10 * 60 * 1000;
const EMPTY_SHA256 = createHash('sha256').update('').digest('hex');

const sha256Hex = (content) => createHash('sha256').update(content).digest('hex');

/** A message of realistic size; the counter keeps every body (and so every signature) distinct. */
function messageBody(counter) {
  return { subject: `Bench message ${counter}`, body: `Message ${counter} of the history bench. `.repeat(12) };
}

/** An autocannon request whose every send is signed afresh (own timestamp and nonce). */
function signedRequest(apiKey, method, path, nextBody) {
  return {
    method,
    path,
    setupRequest(req) {
      const raw = nextBody ? JSON.stringify(nextBody()) : '';
      const headers = adminHeaders(apiKey, method, path, raw ? sha256Hex(raw) : EMPTY_SHA256);
      if (raw) {
        headers['content-type'] = 'application/json';
      }
      return { ...req, method, path, headers, body: raw || undefined };
    },
  };
}

async function load(state, requestSpec, { connections, durationSeconds, warmupSeconds }) {
  if (warmupSeconds > 0) {
    await cannon(state, { connections, duration: warmupSeconds, requests: [requestSpec] });
  }
  return cannon(state, { connections, duration: durationSeconds, requests: [requestSpec] });
}

/** Sends `content` as the body and resolves { status, json, seconds } once the answer has arrived. */
function upload(url, headers, content) {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const req = request(
      url,
      {
        method: 'POST',
        agent: false,
        timeout: TRANSFER_TIMEOUT_MS,
        headers: { ...headers, 'content-type': 'application/octet-stream', 'content-length': content.length },
      },
      (res) => {
        const chunks = [];
        res.on('data', (chunk) => chunks.push(chunk));
        res.on('error', reject);
        res.on('end', () => {
          const seconds = (performance.now() - started) / 1000;
          const text = Buffer.concat(chunks).toString('utf8');
          let json = null;
          try {
            json = JSON.parse(text);
          } catch {
            // reported through the status and the missing fields
          }
          resolve({ status: res.statusCode ?? 0, json, text, seconds });
        });
      },
    );
    req.on('timeout', () => req.destroy(new Error(`upload to ${url} timed out`)));
    req.on('error', reject);
    req.end(content);
  });
}

/** Streams a response body through SHA-256 without keeping it; resolves { status, bytes, sha256, seconds }. */
function download(url, headers) {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const req = request(url, { method: 'GET', agent: false, timeout: TRANSFER_TIMEOUT_MS, headers }, (res) => {
      const hash = createHash('sha256');
      let bytes = 0;
      res.on('data', (chunk) => {
        bytes += chunk.length;
        hash.update(chunk);
      });
      res.on('error', reject);
      res.on('end', () =>
        resolve({
          status: res.statusCode ?? 0,
          headers: res.headers,
          complete: res.complete,
          bytes,
          sha256: hash.digest('hex'),
          seconds: (performance.now() - started) / 1000,
        }),
      );
    });
    req.on('timeout', () => req.destroy(new Error(`download from ${url} timed out`)));
    req.on('error', reject);
    req.end();
  });
}

const mibPerSecond = (bytes, seconds) => Math.round((bytes / MIB / seconds) * 10) / 10;
const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

/** The product's and the baseline's file endpoints, behind one shape. */
function fileEndpoints(product, baseline, apiKey, userId) {
  const basic = baseline.credentials.scim;
  const baselineAuth = { authorization: `Basic ${Buffer.from(`${basic.username}:${basic.password}`).toString('base64')}` };
  return {
    product: {
      async put(index, content, digest) {
        const path = `/admin/v1/users/${userId}/files?name=bench-${index}.bin`;
        const answer = await upload(
          `${product.baseUrl}${path}`,
          { ...adminHeaders(apiKey, 'POST', path, digest), 'ss-content-sha256': digest },
          content,
        );
        return { ...answer, id: answer.json?.id, sizeBytes: answer.json?.sizeBytes, sha256: answer.json?.sha256 };
      },
      get(id) {
        const path = `/admin/v1/users/${userId}/files/${id}/content`;
        return download(`${product.baseUrl}${path}`, adminHeaders(apiKey, 'GET', path, EMPTY_SHA256));
      },
    },
    baseline: {
      async put(index, content, digest) {
        const answer = await upload(
          `${baseline.baseUrl}/bench/files/bench-${index}`,
          { ...baselineAuth, 'ss-content-sha256': digest },
          content,
        );
        return { ...answer, id: answer.json?.name, sizeBytes: answer.json?.sizeBytes, sha256: answer.json?.sha256 };
      },
      get(id) {
        return download(`${baseline.baseUrl}/bench/files/${id}`, baselineAuth);
      },
    },
  };
}

/**
 * The server's CPU time (ms) over a transfer, beside its answer: what moving the file cost it,
 * much less sensitive than MiB/s to other load on a shared machine (null where /proc is missing).
 */
async function withServerCpu(server, transfer) {
  const before = cpuTimeOf(server.proc.pid);
  const answer = await transfer();
  const after = cpuTimeOf(server.proc.pid);
  return { ...answer, cpuMs: before === null || after === null ? null : after - before };
}

/**
 * FILE_RUNS uploads then FILE_RUNS downloads of the same content, product and baseline in turn
 * (so a change in the machine's load falls on both), every answer checked.
 */
async function measureFiles(servers, endpoints, fileBytes, log, problems) {
  const content = randomBytes(fileBytes);
  const digest = sha256Hex(content);
  const runs = { product: { upload: [], download: [] }, baseline: { upload: [], download: [] } };
  const cpu = { product: { upload: [], download: [] }, baseline: { upload: [], download: [] } };
  const ids = { product: [], baseline: [] };
  for (let index = 0; index < FILE_RUNS; index += 1) {
    for (const side of ['product', 'baseline']) {
      const answer = await withServerCpu(servers[side], () => endpoints[side].put(index, content, digest));
      if (answer.status !== 201 || answer.sizeBytes !== fileBytes || answer.sha256 !== digest) {
        problems.push(`history upload ${index + 1} (${side}): HTTP ${answer.status} ${answer.text.slice(0, 300)}`);
        continue;
      }
      ids[side].push(answer.id);
      runs[side].upload.push(mibPerSecond(fileBytes, answer.seconds));
      if (answer.cpuMs !== null) {
        cpu[side].upload.push(answer.cpuMs);
      }
    }
  }
  log(`history: uploads done (${FILE_RUNS} × ${fileBytes / MIB} MiB per server), downloads`);
  for (let index = 0; index < FILE_RUNS; index += 1) {
    for (const side of ['product', 'baseline']) {
      const id = ids[side][index];
      if (id === undefined) {
        continue;
      }
      const answer = await withServerCpu(servers[side], () => endpoints[side].get(id));
      if (answer.status !== 200 || !answer.complete || answer.bytes !== fileBytes || answer.sha256 !== digest) {
        problems.push(
          `history download ${index + 1} (${side}): HTTP ${answer.status}, ${answer.bytes} of ${fileBytes} bytes, SHA-256 ${answer.sha256 === digest ? 'matches' : 'differs from the upload'}`,
        );
        continue;
      }
      if (Number(answer.headers['content-length']) !== fileBytes) {
        problems.push(`history download ${index + 1} (${side}): Content-Length ${answer.headers['content-length']}`);
      }
      runs[side].download.push(mibPerSecond(fileBytes, answer.seconds));
      if (answer.cpuMs !== null) {
        cpu[side].download.push(answer.cpuMs);
      }
    }
  }
  const figures = (side, direction) => ({
    runsMiBPerSecond: runs[side][direction],
    medianMiBPerSecond: runs[side][direction].length ? median(runs[side][direction]) : null,
    serverCpuMs: cpu[side][direction],
    medianServerCpuMs: cpu[side][direction].length ? median(cpu[side][direction]) : null,
  });
  const ratio = (direction) => {
    const product = figures('product', direction).medianMiBPerSecond;
    const baseline = figures('baseline', direction).medianMiBPerSecond;
    return product && baseline ? Number((product / baseline).toFixed(3)) : null;
  };
  return {
    fileBytes,
    runs: FILE_RUNS,
    upload: { product: figures('product', 'upload'), baseline: figures('baseline', 'upload'), ratio: ratio('upload') },
    download: { product: figures('product', 'download'), baseline: figures('baseline', 'download'), ratio: ratio('download') },
  };
}

function loadProblems(label, summary, problems) {
  if (summary.errors > 0 || summary.non2xx > 0) {
    problems.push(
      `${label}: ${summary.non2xx} non-2xx ${JSON.stringify(summary.statusCodes)}, ${summary.errors} errors (${summary.timeouts} timeouts)`,
    );
  }
  if (summary.ok === 0) {
    problems.push(`${label}: no successful response`);
  }
}

/** A created message reads back, decrypted, as the newest of the user's messages; and the count agrees. */
async function checkMessages(product, apiKey, userId, createdAtLeast, problems) {
  const sample = { subject: `Read-back check ${randomBytes(6).toString('hex')}`, body: 'Sealed at rest, readable through the admin API.' };
  const created = await adminRequest(product.baseUrl, apiKey, 'POST', `/admin/v1/users/${userId}/messages`, sample);
  if (created.status !== 201 || typeof created.json?.id !== 'number') {
    problems.push(`history message check: POST answered ${created.status} ${created.text.slice(0, 300)}`);
    return;
  }
  const page = await adminRequest(product.baseUrl, apiKey, 'GET', `/admin/v1/users/${userId}/messages?limit=1`);
  const newest = page.json?.items?.[0];
  if (page.status !== 200 || newest?.id !== created.json.id || newest.subject !== sample.subject || newest.body !== sample.body) {
    problems.push(`history message check: the created message did not read back: HTTP ${page.status} ${page.text.slice(0, 300)}`);
  }
  const summary = await adminRequest(product.baseUrl, apiKey, 'GET', `/admin/v1/users/${userId}/history`);
  if (summary.status !== 200 || !(summary.json?.messages?.count >= createdAtLeast + 1)) {
    problems.push(`history message check: ${summary.text.slice(0, 300)} after ${createdAtLeast} created messages`);
  }
}

/** Runs the scenario on a setup's product and baseline; resolves its figures and problems. */
export async function runHistoryScenario(product, baseline, { connections, durationSeconds, warmupSeconds, fileBytes, log }) {
  const problems = [];
  const { apiKey } = product.credentials;
  const scimHeaders = {
    authorization: `Basic ${Buffer.from(`${product.credentials.scim.username}:${product.credentials.scim.password}`).toString('base64')}`,
    'content-type': 'application/scim+json',
  };
  const user = await httpRequest(`${product.baseUrl}/scim/v2/Users`, {
    method: 'POST',
    headers: scimHeaders,
    body: newUserBody(`history.bench.${randomBytes(4).toString('hex')}@example.com`, 0),
  });
  if (user.status !== 201) {
    throw new Error(`history: creating the user answered ${user.status}: ${user.text}`);
  }
  const userId = user.json.id;
  const state = { server: product, headers: {} };
  const loadOptions = { connections, durationSeconds, warmupSeconds };
  let counter = 0;

  log(`history: message create on the product (${durationSeconds} s, ${connections} connections)`);
  const create = await load(
    state,
    signedRequest(apiKey, 'POST', `/admin/v1/users/${userId}/messages`, () => messageBody((counter += 1))),
    loadOptions,
  );
  loadProblems('history message create', create, problems);
  for (; counter < READ_LIMIT; counter += 1) {
    await adminRequest(product.baseUrl, apiKey, 'POST', `/admin/v1/users/${userId}/messages`, messageBody(counter));
  }

  log(`history: message read, ${READ_LIMIT} a page, on the product`);
  const read = await load(state, signedRequest(apiKey, 'GET', `/admin/v1/users/${userId}/messages?limit=${READ_LIMIT}`), loadOptions);
  loadProblems('history message read', read, problems);
  await checkMessages(product, apiKey, userId, create.ok, problems);

  log(`history: ${FILE_RUNS} uploads and downloads of a ${fileBytes / MIB} MiB file, product and baseline in turn`);
  const files = await measureFiles({ product, baseline }, fileEndpoints(product, baseline, apiKey, userId), fileBytes, log, problems);
  return { messageCreate: create, messageRead: { ...read, limit: READ_LIMIT }, files, problems };
}
