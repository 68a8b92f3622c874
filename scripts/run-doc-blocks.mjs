// Runs the shell blocks of the documentation that carry a tag in their info string, exactly as
// written and in order, from the repository root: `node scripts/run-doc-blocks.mjs ci-production`.
//
// A block is fenced as ```bash <tag> (GitHub still highlights it as bash). A block also tagged
// `ci-server` starts a long-running service: it runs in the background until READY_URL answers 200,
// and is stopped after the last block. Blocks are read from README.md and docs/*.md, in that
// order, so they may move between those files.
//
// What the blocks create is removed afterwards: the MariaDB database and Redis keys named by
// --database and --redis-prefix, a .env file (one that existed before is set aside and restored)
// and a data/ directory that did not exist. The run refuses to start rather than touch a database,
// keys or a port that something else already uses.
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { Redis } from 'ioredis';
import { createConnection } from 'mysql2/promise';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    database: { type: 'string', default: 'scim' },
    'redis-prefix': { type: 'string', default: 'scim' },
    'ready-url': { type: 'string', default: 'http://127.0.0.1:3000/health/ready' },
    'mysql-url': { type: 'string', default: process.env.E2E_MYSQL_URL ?? 'mysql://root@127.0.0.1:3306' },
    'redis-url': { type: 'string', default: process.env.E2E_REDIS_URL ?? 'redis://127.0.0.1:6379' },
    'block-timeout-ms': { type: 'string', default: '120000' },
    file: { type: 'string', multiple: true },
    help: { type: 'boolean', default: false },
  },
});
const [tag] = positionals;
if (values.help || !tag) {
  process.stdout.write(
    'Usage: node scripts/run-doc-blocks.mjs TAG [--database NAME] [--redis-prefix PREFIX] [--ready-url URL] [--file DOC.md ...]\n',
  );
  process.exit(values.help ? 0 : 2);
}
const blockTimeoutMs = Number(values['block-timeout-ms']);
const SERVER_STOP_MS = 15_000;

/** Fenced blocks whose info string is `bash|sh <words...>` including the tag, in document order. */
function taggedBlocks(files) {
  const blocks = [];
  for (const file of files) {
    const lines = readFileSync(file, 'utf8').split('\n');
    for (let i = 0; i < lines.length; i += 1) {
      const open = /^(\s*)(`{3,}|~{3,})\s*(bash|sh)\b(.*)$/.exec(lines[i]);
      if (!open) {
        continue;
      }
      const [, indent, fence, , info] = open;
      const words = info.trim().split(/\s+/);
      const body = [];
      let j = i + 1;
      for (; j < lines.length && !lines[j].startsWith(`${indent}${fence}`); j += 1) {
        body.push(lines[j].slice(indent.length));
      }
      if (words.includes(tag)) {
        blocks.push({ where: `${relative(root, file)}:${i + 1}`, server: words.includes('ci-server'), script: body.join('\n') });
      }
      i = j;
    }
  }
  return blocks;
}

function docFiles() {
  if (values.file) {
    return values.file.map((file) => resolve(file));
  }
  const docs = join(root, 'docs');
  const inDocs = existsSync(docs)
    ? readdirSync(docs)
        .filter((name) => name.endsWith('.md'))
        .sort()
        .map((name) => join(docs, name))
    : [];
  return [join(root, 'README.md'), ...inDocs];
}

function run(block) {
  const child = spawn('bash', ['-euo', 'pipefail', '-c', block.script], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  let output = '';
  const keep = (chunk) => {
    output += chunk.toString();
    process.stdout.write(chunk);
  };
  child.stdout.on('data', keep);
  child.stderr.on('data', keep);
  const exited = new Promise((resolveExit) => child.on('exit', (code, signal) => resolveExit({ code, signal })));
  return { child, exited, output: () => output };
}

async function answers(url) {
  try {
    return (await fetch(url, { signal: AbortSignal.timeout(2000) })).status;
  } catch {
    return null;
  }
}

async function stop(running) {
  if (running.child.exitCode !== null || running.child.signalCode !== null) {
    return;
  }
  process.kill(-running.child.pid, 'SIGTERM');
  const stopped = await Promise.race([running.exited.then(() => true), new Promise((r) => setTimeout(() => r(false), SERVER_STOP_MS))]);
  if (!stopped) {
    process.kill(-running.child.pid, 'SIGKILL');
    await running.exited;
  }
}

async function databaseExists(connection, name) {
  const [rows] = await connection.query('SELECT 1 FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = ?', [name]);
  return rows.length > 0;
}

const blocks = taggedBlocks(docFiles());
if (blocks.length === 0) {
  console.error(
    `No \`\`\`bash ${tag} block in ${docFiles()
      .map((file) => relative(root, file))
      .join(', ')}`,
  );
  process.exit(1);
}

const mysql = await createConnection({ uri: values['mysql-url'], connectTimeout: 5000 });
const redis = new Redis(values['redis-url'], { lazyConnect: true, connectTimeout: 5000, maxRetriesPerRequest: 1 });
await redis.connect();
const redisPattern = `${values['redis-prefix']}:*`;
const readyUrl = values['ready-url'];
const envFile = join(root, '.env');
const envAside = join(root, `.env.before-doc-blocks-${process.pid}`);
const dataDir = join(root, 'data');
const hadDataDir = existsSync(dataDir);

const refusals = [];
if (await databaseExists(mysql, values.database)) {
  refusals.push(`database \`${values.database}\` exists: drop it (or pass --database) so the blocks can create it`);
}
if ((await redis.keys(redisPattern)).length > 0) {
  refusals.push(`Redis keys ${redisPattern} exist: delete them so the run can remove what it creates`);
}
if ((await answers(readyUrl)) !== null) {
  refusals.push(`something already answers at ${readyUrl}: stop it first`);
}
if (refusals.length > 0) {
  console.error(`Refusing to run the ${tag} blocks:\n  - ${refusals.join('\n  - ')}`);
  await mysql.end();
  redis.disconnect();
  process.exit(1);
}
if (existsSync(envFile)) {
  renameSync(envFile, envAside);
}

const servers = [];
let failure = null;
let passed = 0;
const cleanUp = async () => {
  for (const server of servers) {
    await stop(server);
  }
  await mysql.query(`DROP DATABASE IF EXISTS \`${values.database.replaceAll('`', '``')}\``);
  const keys = await redis.keys(redisPattern);
  if (keys.length > 0) {
    await redis.del(...keys);
  }
  rmSync(envFile, { force: true });
  if (existsSync(envAside)) {
    renameSync(envAside, envFile);
  }
  if (!hadDataDir) {
    rmSync(dataDir, { recursive: true, force: true });
  }
  await mysql.end();
  redis.disconnect();
};
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.once(signal, () => {
    failure = `interrupted by ${signal}`;
    void cleanUp().finally(() => process.exit(1));
  });
}

try {
  for (const block of blocks) {
    if (failure) {
      break;
    }
    process.stdout.write(`\n--- ${block.where}${block.server ? ' (server)' : ''}\n${block.script}\n---\n`);
    const running = run(block);
    const deadline = Date.now() + blockTimeoutMs;
    if (block.server) {
      servers.push(running);
      for (;;) {
        if (running.child.exitCode !== null || running.child.signalCode !== null) {
          failure = `${block.where}: the server exited (code ${running.child.exitCode}, signal ${running.child.signalCode}) before ${readyUrl} answered 200`;
          break;
        }
        if ((await answers(readyUrl)) === 200) {
          break;
        }
        if (Date.now() > deadline) {
          failure = `${block.where}: ${readyUrl} did not answer 200 within ${blockTimeoutMs} ms`;
          break;
        }
        await new Promise((r) => setTimeout(r, 250));
      }
    } else {
      const timer = setTimeout(() => process.kill(-running.child.pid, 'SIGKILL'), blockTimeoutMs);
      const { code, signal } = await running.exited;
      clearTimeout(timer);
      if (code !== 0) {
        failure = `${block.where}: exited with ${signal ? `signal ${signal} (after ${blockTimeoutMs} ms?)` : `code ${code}`}`;
      }
    }
    if (!failure) {
      passed += 1;
    }
  }
} finally {
  await cleanUp();
}

if (failure) {
  console.error(`\nFAILED ${failure}`);
}
console.log(`\n${tag} blocks: ${passed} passed, ${failure ? 1 : 0} failed (of ${blocks.length})`);
process.exit(failure ? 1 : 0);
