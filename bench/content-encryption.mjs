// Micro-benchmark: what crypto-shredding costs.
// Files, as the local disk store moves them (LocalDiskBlobStorage, staging file then rename): an
// upload hashed and stored as it was before encryption, against encrypted, hashed and stored as
// history stores it; a download of the stored bytes against the same decrypted; and the same
// without the disk (CPU only, the worst case for the ratio). Data keys: a key fetched by id (row
// read + unwrap) against the unwrap alone, which is all a key cache could save. Fields: sealing and
// opening a subject and a 64 KiB body.
// Run with `npm run bench:encryption` (builds first); `-- --megabytes N` (default 100), BENCH_ROUNDS
// (default 5), BENCH_ITERATIONS (default 20000). Figures go to stdout only; never fails on them.
import { Buffer } from 'node:buffer';
import { createHash, createSecretKey, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { PassThrough, Readable, Transform, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { parseArgs } from 'node:util';

const require = createRequire(import.meta.url);
const { values: args } = parseArgs({ options: { megabytes: { type: 'string', default: '100' } } });
const TOTAL = Number(args.megabytes) * 1024 * 1024;
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const ITERATIONS = Number(process.env.BENCH_ITERATIONS ?? 20_000);
// What a stream delivers at a time: socket reads (up to 64 KiB, each a new buffer) for uploads,
// fs reads (64 KiB) for downloads.
const UPLOAD_PIECE = 64 * 1024;
const DOWNLOAD_PIECE = 64 * 1024;
const TARGET_RATIO = 0.8;

const dataDir = mkdtempSync(join(tmpdir(), 'bench-encryption-'));
process.env.DATA_DIR = dataDir;
process.env.NODE_ENV = 'test';
process.env.ENCRYPTION_KEY = randomBytes(32).toString('base64');
delete process.env.DATABASE_URL;
delete process.env.REDIS_URL;

require('reflect-metadata');
const { NestFactory } = require('@nestjs/core');
const { CliModule } = require('../dist/src/cli/cli.module.js');
const { DataKeys } = require('../dist/src/content-encryption/data-keys.service.js');
const { unwrapDataKey, wrapDataKey } = require('../dist/src/content-encryption/data-key-wrapping.js');
const { DataKey } = require('../dist/src/content-encryption/data-key.js');
const { FileEncryptor } = require('../dist/src/content-encryption/file-encryptor.js');
const { FileDecryptor } = require('../dist/src/content-encryption/file-decryptor.js');
const { openField, sealField } = require('../dist/src/content-encryption/field-cipher.js');
const { ServerKeyRing } = require('../dist/src/secrets/server-key-ring.js');
const { OrganizationsService } = require('../dist/src/organizations/organizations.service.js');
const { LocalDiskBlobStorage } = require('../dist/src/storage/local-disk-blob-storage.js');

/**
 * `bytes` in pieces of `pieceSize`, views of the one buffer (the source costs nothing measurable),
 * or (`fresh`) each copied into a new buffer, as a socket delivers them: what the garbage collector sees.
 */
function source(bytes, pieceSize, { fresh = false } = {}) {
  let offset = 0;
  return new Readable({
    highWaterMark: pieceSize,
    read() {
      if (offset >= bytes.length) {
        this.push(null);
        return;
      }
      const piece = bytes.subarray(offset, offset + pieceSize);
      this.push(fresh ? Buffer.from(piece) : piece);
      offset += pieceSize;
    },
  });
}

const sink = () => new Writable({ write: (_chunk, _encoding, callback) => callback() });

function hashing() {
  const hash = createHash('sha256');
  return new Transform({
    transform(chunk, _encoding, callback) {
      hash.update(chunk);
      callback(null, chunk);
    },
    flush(callback) {
      hash.digest();
      callback();
    },
  });
}

/**
 * The median throughput of an unencrypted path and of its encrypted counterpart, run in turns
 * (each round both, in alternating order), so load from elsewhere weighs on both alike; by wall
 * clock, and by this process's CPU time (which other load on a shared machine hardly moves).
 */
async function compare(name, bytes, unencrypted, encrypted) {
  const seconds = { unencrypted: [], encrypted: [] };
  const cpuSeconds = { unencrypted: [], encrypted: [] };
  for (let round = 0; round < ROUNDS; round += 1) {
    const order = round % 2 === 0 ? ['unencrypted', 'encrypted'] : ['encrypted', 'unencrypted'];
    for (const side of order) {
      const started = performance.now();
      const cpu = process.cpuUsage();
      await (side === 'unencrypted' ? unencrypted() : encrypted());
      const used = process.cpuUsage(cpu);
      seconds[side].push((performance.now() - started) / 1000);
      cpuSeconds[side].push((used.user + used.system) / 1e6);
    }
  }
  const rate = (samples) => bytes / 1024 / 1024 / samples.sort((a, b) => a - b)[Math.floor(samples.length / 2)];
  const [plain, sealed] = [rate(seconds.unencrypted), rate(seconds.encrypted)];
  const [plainCpu, sealedCpu] = [rate(cpuSeconds.unencrypted), rate(cpuSeconds.encrypted)];
  const [ratio, cpuRatio] = [sealed / plain, sealedCpu / plainCpu];
  const mbs = (value) => `${value.toFixed(0).padStart(6)} MB/s`;
  console.log(
    `${name.padEnd(44)} ${mbs(plain)} ${mbs(sealed)} ${ratio.toFixed(2).padStart(6)}×  ${ratio >= TARGET_RATIO ? 'met    ' : 'NOT met'}  ${mbs(plainCpu)} ${mbs(sealedCpu)} ${cpuRatio.toFixed(2).padStart(6)}×`,
  );
}

async function latency(name, fn) {
  for (let i = 0; i < Math.min(1000, ITERATIONS); i += 1) {
    await fn();
  }
  const samples = [];
  for (let i = 0; i < ITERATIONS; i += 1) {
    const started = performance.now();
    await fn();
    samples.push(performance.now() - started);
  }
  samples.sort((a, b) => a - b);
  const at = (q) => samples[Math.min(samples.length - 1, Math.floor(q * samples.length))];
  const us = (ms) => `${(ms * 1000).toFixed(1)} µs`;
  console.log(`${name.padEnd(58)} median ${us(at(0.5)).padStart(9)}  p99 ${us(at(0.99)).padStart(9)}`);
  return at(0.5);
}

const app = await NestFactory.createApplicationContext(CliModule, { logger: false });
try {
  const { admin } = await app
    .get(OrganizationsService)
    .bootstrap({ orgName: 'Bench', hostname: 'bench.example.com', adminEmail: 'bench@example.com' });
  const dataKeys = app.get(DataKeys);
  const key = await dataKeys.currentKey(admin.id);

  console.log(`Content encryption (Node ${process.version}, ${args.megabytes} MB files, median of ${ROUNDS} rounds)\n`);
  console.log(
    `${'path'.padEnd(44)} ${'unencrypted'.padStart(11)} ${'encrypted'.padStart(11)} ${'ratio'.padStart(7)}  target ≥ ${TARGET_RATIO}   per CPU second: ${'unencrypted'.padStart(11)} ${'encrypted'.padStart(11)} ${'ratio'.padStart(7)}`,
  );
  const plaintext = randomBytes(TOTAL);
  const plaintextSha256 = createHash('sha256').update(plaintext).digest('hex');
  const encrypted = [];
  await pipeline(
    source(plaintext, DOWNLOAD_PIECE),
    new FileEncryptor(key),
    new Writable({ write: (chunk, _e, callback) => callback(null, encrypted.push(chunk)) }),
  );
  const ciphertext = Buffer.concat(encrypted);
  const storage = new LocalDiskBlobStorage(join(dataDir, 'files'));
  const maxBytes = 2 * TOTAL;
  await storage.put('bench/user/plain', source(plaintext, UPLOAD_PIECE), { maxBytes, sha256: plaintextSha256 });
  await storage.put('bench/user/sealed', source(plaintext, UPLOAD_PIECE).pipe(new FileEncryptor(key)), { maxBytes });
  await compare(
    'upload to disk (hash | encrypt and hash)',
    TOTAL,
    () => storage.put('bench/user/upload', source(plaintext, UPLOAD_PIECE, { fresh: true }), { maxBytes, sha256: plaintextSha256 }),
    () => storage.put('bench/user/upload', source(plaintext, UPLOAD_PIECE, { fresh: true }).pipe(new FileEncryptor(key)), { maxBytes }),
  );
  await compare(
    'download from disk (read | read and decrypt)',
    TOTAL,
    async () => pipeline(await storage.openRead('bench/user/plain'), sink()),
    async () => pipeline(await storage.openRead('bench/user/sealed'), new FileDecryptor(key, { expectedPlaintextBytes: TOTAL }), sink()),
  );
  await compare(
    'CPU only: hash | encrypt and hash',
    TOTAL,
    () => pipeline(source(plaintext, UPLOAD_PIECE), hashing(), sink()),
    () => pipeline(source(plaintext, UPLOAD_PIECE), new FileEncryptor(key), sink()),
  );
  await compare(
    'CPU only: pass-through | decrypt',
    TOTAL,
    () => pipeline(source(ciphertext, DOWNLOAD_PIECE), new PassThrough(), sink()),
    () => pipeline(source(ciphertext, DOWNLOAD_PIECE), new FileDecryptor(key), sink()),
  );

  console.log(`\nData keys and fields (SQLite, ${ITERATIONS} iterations each)`);
  const ring = app.get(ServerKeyRing);
  const wrapped = wrapDataKey(ring.current, key.id, key.userId, key.secret.export());
  const fetched = await latency('key by id: row read + unwrap (DataKeys.key)', () => dataKeys.key(admin.id, key.id));
  const unwrapOnly = await latency('unwrap alone (what a key cache could save)', () => {
    const raw = unwrapDataKey(ring.current, key.id, key.userId, wrapped);
    new DataKey(key.id, key.userId, createSecretKey(raw));
    raw.fill(0);
  });
  console.log(`${'share of a key fetch a cache could save'.padEnd(58)} ${((unwrapOnly / fetched) * 100).toFixed(0).padStart(6)} %`);
  await latency('current key of a user who has one (DataKeys.currentKey)', () => dataKeys.currentKey(admin.id));
  const subject = 'Quarterly report — final version (do not forward)';
  const body = 'x'.repeat(64 * 1024);
  const sealedSubject = sealField(key, 'message.subject', subject);
  const sealedBody = sealField(key, 'message.body', body);
  await latency('seal a subject', () => sealField(key, 'message.subject', subject));
  await latency('open a subject', () => openField(key, 'message.subject', sealedSubject));
  await latency('seal a 64 KiB body', () => sealField(key, 'message.body', body));
  await latency('open a 64 KiB body', () => openField(key, 'message.body', sealedBody));
} finally {
  await app.close();
  rmSync(dataDir, { recursive: true, force: true });
}
