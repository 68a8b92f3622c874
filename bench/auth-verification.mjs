// Micro-benchmark: the cost of verifying SCIM Basic credentials, with and without the database lookup.
// Run with `npm run bench:auth` (builds first). Uses a throwaway SQLite database.
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';

const require = createRequire(import.meta.url);
const dataDir = mkdtempSync(join(tmpdir(), 'bench-auth-'));
process.env.DATA_DIR = dataDir;
process.env.NODE_ENV = 'test';
delete process.env.DATABASE_URL;
delete process.env.REDIS_URL;

require('reflect-metadata');
const { NestFactory } = require('@nestjs/core');
const { CliModule } = require('../dist/src/cli/cli.module.js');
const { OrganizationsService } = require('../dist/src/organizations/organizations.service.js');
const { ApiKeysService } = require('../dist/src/api-keys/api-keys.service.js');
const { ScimCredentialVerifier } = require('../dist/src/auth/scim-credential-verifier.js');
const { CredentialCrypto } = require('../dist/src/secrets/credential-crypto.js');

const ITERATIONS = Number(process.env.BENCH_ITERATIONS ?? 20000);

function summarize(name, samples) {
  samples.sort((a, b) => a - b);
  const at = (q) => samples[Math.min(samples.length - 1, Math.floor(q * samples.length))];
  const us = (ms) => `${(ms * 1000).toFixed(1)} µs`;
  console.log(`${name.padEnd(48)} median ${us(at(0.5)).padStart(9)}  p99 ${us(at(0.99)).padStart(9)}  (n=${samples.length})`);
}

async function measure(fn) {
  for (let i = 0; i < 500; i += 1) {
    await fn();
  } // warm-up
  const samples = [];
  for (let i = 0; i < ITERATIONS; i += 1) {
    const start = performance.now();
    await fn();
    samples.push(performance.now() - start);
  }
  return samples;
}

const app = await NestFactory.createApplicationContext(CliModule, { logger: false });
try {
  const { admin, apiKey } = await app.get(OrganizationsService).bootstrap({
    orgName: 'Bench',
    hostname: 'bench.example.com',
    adminEmail: 'bench@example.com',
  });
  const credential = await app
    .get(ApiKeysService)
    .issueScimCredential({ organizationId: admin.organizationId, userId: admin.id, apiKeyId: apiKey.apiKey.id }, apiKey.apiKey.id, {
      sourceAddress: 'bench',
      requestId: null,
    });
  const crypto = app.get(CredentialCrypto);
  const verifier = app.get(ScimCredentialVerifier);
  const storedHash = crypto.hashPassword(credential.password);

  console.log(`SCIM Basic verification (Node ${process.version}, ${ITERATIONS} iterations each)`);
  summarize(
    'password check only (HMAC-SHA256 + constant-time)',
    await measure(() => crypto.verifyPassword(credential.password, storedHash)),
  );
  summarize('full verify: SQLite lookup + HMAC (correct)', await measure(() => verifier.verify(credential.username, credential.password)));
  summarize('full verify: wrong password', await measure(() => verifier.verify(credential.username, 'wrong')));
  summarize('full verify: unknown username', await measure(() => verifier.verify('scim_unknown', 'wrong')));
} finally {
  await app.close();
  rmSync(dataDir, { recursive: true, force: true });
}
