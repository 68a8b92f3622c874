import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { StatementCoverage } from '../../src/database/statement';
import type { DeclaredStatement } from '../architecture/data-access-rules';

/**
 * Statement coverage across the integration tier: each test file records which registered
 * statements it executed; the run's teardown merges the files and compares them with every
 * statement declared in src/, so a statement no integration test runs on this database shows.
 */
export function coverageDirectory(runId: string, root = join(tmpdir(), 'scim-statement-coverage')): string {
  return join(root, runId);
}

export function recordFileCoverage(directory: string, coverage: readonly StatementCoverage[]): void {
  mkdirSync(directory, { recursive: true });
  writeFileSync(join(directory, `${randomBytes(6).toString('hex')}.json`), JSON.stringify(coverage));
}

/** Executions per statement name, summed over every file of the run. */
export function mergedExecutions(directory: string): Map<string, number> {
  const executions = new Map<string, number>();
  if (!existsSync(directory)) {
    return executions;
  }
  for (const file of readdirSync(directory).filter((name) => name.endsWith('.json'))) {
    for (const { name, executions: count } of JSON.parse(readFileSync(join(directory, file), 'utf8')) as StatementCoverage[]) {
      executions.set(name, (executions.get(name) ?? 0) + count);
    }
  }
  return executions;
}

export function unexecuted(declared: readonly DeclaredStatement[], executions: ReadonlyMap<string, number>): DeclaredStatement[] {
  return declared.filter((statement) => (executions.get(statement.name) ?? 0) === 0);
}

export function coverageSummary(database: string, declared: readonly DeclaredStatement[], missing: readonly DeclaredStatement[]): string {
  const head = `statement coverage on ${database}: ${declared.length - missing.length} of ${declared.length} declared statements executed by the integration tier`;
  return [head, ...missing.map((statement) => `  never executed: ${statement.name} (${statement.file}:${statement.line})`)].join('\n');
}

export function removeCoverage(directory: string): void {
  rmSync(directory, { recursive: true, force: true });
}
