import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, inject } from 'vitest';
import { statementCoverage } from '../../src/database/statement';
import { e2eDatabase } from './e2e-target';
import { coverageDirectory, recordFileCoverage } from './statement-coverage';
import { createMysqlDatabase, dropMysqlDatabase, perFileDatabaseName } from './test-database';

// Each integration file gets its own SQLite directory, or its own MariaDB/MySQL database.
const runId = inject('e2eRunId');
const dataDir = mkdtempSync(join(tmpdir(), 'scim-integration-'));
const databaseName = perFileDatabaseName(runId);
process.env.INTEGRATION_DATA_DIR = dataDir;
delete process.env.INTEGRATION_DATABASE_URL;

beforeAll(async () => {
  if (e2eDatabase() === 'mysql') {
    process.env.INTEGRATION_DATABASE_URL = await createMysqlDatabase(databaseName);
  }
});

afterAll(async () => {
  recordFileCoverage(coverageDirectory(runId), statementCoverage());
  if (e2eDatabase() === 'mysql') {
    await dropMysqlDatabase(databaseName);
  }
  rmSync(dataDir, { recursive: true, force: true });
});
