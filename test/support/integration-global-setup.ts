import { randomBytes } from 'node:crypto';
import { resolve } from 'node:path';
import type { TestProject } from 'vitest/node';
import { declaredStatements, readSourceTree } from '../architecture/data-access-rules';
import { e2eDatabase } from './e2e-target';
import { setupRun } from './global-setup';
import { coverageDirectory, coverageSummary, mergedExecutions, removeCoverage, unexecuted } from './statement-coverage';

/**
 * The e2e run setup (services checked, leftovers dropped), then, at the end, the statement
 * coverage of the run. `STATEMENT_COVERAGE=enforce` fails the run when a declared statement never
 * ran; it becomes the default once the repositories declare their statements.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const runId = `${Date.now().toString(36)}${randomBytes(3).toString('hex')}`;
  const teardown = await setupRun(project, runId);
  return async () => {
    await teardown();
    const directory = coverageDirectory(runId);
    try {
      const declared = declaredStatements(readSourceTree(resolve(__dirname, '../..')));
      const missing = unexecuted(declared, mergedExecutions(directory));
      console.log(coverageSummary(e2eDatabase(), declared, missing));
      if (missing.length > 0 && process.env.STATEMENT_COVERAGE === 'enforce') {
        // Vitest reports an error thrown by a global teardown but still exits 0.
        console.error(`FAIL: ${missing.length} declared statements never ran in the integration tier on ${e2eDatabase()}`);
        process.exitCode = 1;
      }
    } finally {
      removeCoverage(directory);
    }
  };
}
