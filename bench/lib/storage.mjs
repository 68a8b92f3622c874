// Storage drivers side by side: upload and download throughput, and the store's share of a purge
// (keys deleted per second, in purge-sized batches), for local disk and for the S3 driver against
// s3rver, a real S3 protocol server started here on loopback. The drivers are the product's own
// classes from the build under test; s3rver stands in for an object store, so the S3 figures are
// the driver's and the protocol's cost on this machine, not a cloud store's.
import { Buffer } from 'node:buffer';
import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { createServer } from 'node:http';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { Readable } from 'node:stream';

const MIB = 1024 * 1024;
const BUCKET = 'bench-files';
const CREDENTIALS = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' };

/** Sizes per run: a smoke run only proves the scenario still works. */
export function storageOptions(smoke) {
  return smoke
    ? { files: 2, fileBytes: 6 * MIB, purgeKeys: 60, batchSize: 25 }
    : { files: 12, fileBytes: 32 * MIB, purgeKeys: 3000, batchSize: 100 };
}

async function startS3rver(require, directory) {
  const S3rver = require('s3rver');
  const s3rver = new S3rver({ directory, silent: true, configureBuckets: [{ name: BUCKET, configs: [] }] });
  await s3rver.configureBuckets();
  const server = createServer(s3rver.callback());
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    endpoint: `http://127.0.0.1:${server.address().port}`,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(resolve);
      }),
  };
}

/** Content that streams from memory in 64 KiB chunks, as an HTTP request body arrives. */
function contentStream(buffer) {
  const chunks = [];
  for (let offset = 0; offset < buffer.length; offset += 64 * 1024) {
    chunks.push(buffer.subarray(offset, offset + 64 * 1024));
  }
  return Readable.from(chunks, { objectMode: false });
}

async function measureDriver(label, storage, options, problems) {
  const content = randomBytes(options.fileBytes);
  const sha256 = createHash('sha256').update(content).digest('hex');
  const keys = Array.from({ length: options.files }, (_, index) => `bench/large/${index}`);
  let started = performance.now();
  for (const key of keys) {
    const stored = await storage.put(key, contentStream(content), { maxBytes: options.fileBytes, sha256 });
    if (stored.sizeBytes !== content.length) {
      problems.push(`${label}: stored ${stored.sizeBytes} bytes of ${content.length}`);
    }
  }
  const uploadSeconds = (performance.now() - started) / 1000;
  started = performance.now();
  for (const key of keys) {
    const read = await storage.read(key);
    if (!read.equals(content)) {
      problems.push(`${label}: ${key} read back different bytes`);
    }
  }
  const downloadSeconds = (performance.now() - started) / 1000;

  const small = Buffer.alloc(1024, 7);
  const smallSha256 = createHash('sha256').update(small).digest('hex');
  const purgeKeys = Array.from({ length: options.purgeKeys }, (_, index) => `bench/purge/${index}`);
  for (let index = 0; index < purgeKeys.length; index += 50) {
    await Promise.all(
      purgeKeys
        .slice(index, index + 50)
        .map((key) => storage.put(key, Readable.from([small]), { maxBytes: small.length, sha256: smallSha256 })),
    );
  }
  started = performance.now();
  let undeleted = 0;
  for (let index = 0; index < purgeKeys.length; index += options.batchSize) {
    undeleted += (await storage.deleteMany(purgeKeys.slice(index, index + options.batchSize))).size;
  }
  const purgeSeconds = (performance.now() - started) / 1000;
  if (undeleted > 0) {
    problems.push(`${label}: ${undeleted} keys were not deleted`);
  }
  await storage.deleteMany(keys);
  const megabytes = (options.files * options.fileBytes) / MIB;
  return {
    uploadMiBPerSecond: Math.round((megabytes / uploadSeconds) * 10) / 10,
    downloadMiBPerSecond: Math.round((megabytes / downloadSeconds) * 10) / 10,
    purgeKeysPerSecond: Math.round(options.purgeKeys / purgeSeconds),
  };
}

/** Runs both drivers; resolves with their figures and any problem (a wrong byte, an undeleted key). */
export async function runStorageScenario({ distDir, workDir, smoke, log }) {
  const require = createRequire(join(distDir, 'src/main.js'));
  const { LocalDiskBlobStorage } = require(join(distDir, 'src/storage/local-disk-blob-storage.js'));
  const { S3BlobStorage } = require(join(distDir, 'src/storage/s3-blob-storage.js'));
  const { s3ClientConfig } = require(join(distDir, 'src/storage/s3-client-config.js'));
  const { S3Client } = require('@aws-sdk/client-s3');
  const options = storageOptions(smoke);
  const problems = [];
  const result = { options, local: null, s3: null, problems };
  const localRoot = join(workDir, 'storage-local');
  mkdirSync(localRoot, { recursive: true });
  log(
    `storage: local disk, ${options.files} × ${options.fileBytes / MIB} MiB, ${options.purgeKeys} keys purged in batches of ${options.batchSize}`,
  );
  result.local = await measureDriver('local', new LocalDiskBlobStorage(localRoot), options, problems);

  const s3rver = await startS3rver(require, join(workDir, 'storage-s3'));
  Object.assign(process.env, { AWS_ACCESS_KEY_ID: CREDENTIALS.accessKeyId, AWS_SECRET_ACCESS_KEY: CREDENTIALS.secretAccessKey });
  const client = new S3Client(
    s3ClientConfig({ bucket: BUCKET, region: 'us-east-1', endpoint: s3rver.endpoint, forcePathStyle: true, prefix: 'bench/' }),
  );
  try {
    log('storage: S3 driver against s3rver on loopback');
    result.s3 = await measureDriver('s3', new S3BlobStorage(client, BUCKET, 'bench/'), options, problems);
  } finally {
    client.destroy();
    await s3rver.close();
  }
  return result;
}

export function formatStorageTable(result) {
  const rows = [
    ['driver', 'upload MiB/s', 'download MiB/s', 'purge keys/s'],
    ...['local', 's3']
      .filter((driver) => result[driver])
      .map((driver) => [
        driver === 's3' ? 's3 (s3rver, loopback)' : 'local disk',
        String(result[driver].uploadMiBPerSecond),
        String(result[driver].downloadMiBPerSecond),
        String(result[driver].purgeKeysPerSecond),
      ]),
  ];
  const widths = rows[0].map((_, column) => Math.max(...rows.map((row) => row[column].length)));
  return rows.map((row) => row.map((cell, column) => cell.padEnd(widths[column])).join('  ')).join('\n');
}
