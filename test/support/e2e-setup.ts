import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, inject } from 'vitest';
import { startE2eStorage, stopE2eStorage } from './e2e-storage';
import { e2eDatabase, redisUrl } from './e2e-target';
import { leakedSecretsIn } from './secret-ledger';
import { createMysqlDatabase, dropMysqlDatabase, perFileDatabaseName } from './test-database';

// Each test file gets its own database and data directory, so files run in parallel and
// never see each other's rows. The app reads these variables when it is built.
const dataDir = mkdtempSync(join(tmpdir(), 'scim-e2e-'));
const databaseName = perFileDatabaseName(inject('e2eRunId'));

const logFile = join(dataDir, 'service.log');
process.env.DATA_DIR = dataDir;
// Everything the service logs during the file is kept and checked for secrets afterwards.
process.env.LOG_FILE = logFile;
process.env.LOG_LEVEL = process.env.E2E_LOG_LEVEL ?? 'debug';
process.env.LOG_FORMAT = 'json';

delete process.env.DATABASE_URL;
delete process.env.REDIS_URL;

// Setup-file hooks run before the test file's own, so apps built there see this database.
beforeAll(async () => {
  if (e2eDatabase() === 'mysql') {
    process.env.DATABASE_URL = await createMysqlDatabase(databaseName);
    process.env.REDIS_URL = redisUrl;
    process.env.REDIS_KEY_PREFIX = databaseName;
    // With MySQL the server key must be configured (instances share it); SQLite generates one.
    process.env.ENCRYPTION_KEY = randomBytes(32).toString('base64');
  }
  await startE2eStorage(dataDir);
});

// The service's log stays in its file; a failing test shows what the service logged meanwhile.
const FAILED_TEST_LOG_LINES = 200;
beforeEach(({ onTestFailed }) => {
  const offset = existsSync(logFile) ? statSync(logFile).size : 0;
  onTestFailed(() => {
    if (!existsSync(logFile)) {
      return;
    }
    const lines = readFileSync(logFile).subarray(offset).toString('utf8').trimEnd().split('\n').filter(Boolean);
    if (lines.length > 0) {
      const shown = lines.slice(-FAILED_TEST_LOG_LINES);
      process.stderr.write(`Service log during the failed test (${shown.length} of ${lines.length} lines):\n${shown.join('\n')}\n`);
    }
  });
});

afterAll(async () => {
  const leaks = leakedSecretsIn(logFile);
  if (leaks.length > 0) {
    throw new Error(`The service logged secrets: ${leaks.join(', ')}`);
  }
  if (e2eDatabase() === 'mysql') {
    await dropMysqlDatabase(databaseName);
  }
  await stopE2eStorage();
  rmSync(dataDir, { recursive: true, force: true });
});
