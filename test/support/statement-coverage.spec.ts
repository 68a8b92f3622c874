import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { coverageDirectory, coverageSummary, mergedExecutions, recordFileCoverage, unexecuted } from './statement-coverage';

describe('statement coverage across test files', () => {
  let root: string;

  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'coverage-spec-'));
  });

  afterEach(() => {
    rmSync(root, { recursive: true, force: true });
  });

  it('sums what every file executed and lists the declared statements none ran', () => {
    const directory = coverageDirectory('run1', root);
    recordFileCoverage(directory, [
      { name: 'users.findById', kind: 'statement', executions: 2 },
      { name: 'users.list', kind: 'family', executions: 0 },
    ]);
    recordFileCoverage(directory, [
      { name: 'users.findById', kind: 'statement', executions: 1 },
      { name: 'test.scratch', kind: 'statement', executions: 5 },
    ]);
    const executions = mergedExecutions(directory);
    expect(Object.fromEntries(executions)).toEqual({ 'users.findById': 3, 'users.list': 0, 'test.scratch': 5 });
    const declared = [
      { name: 'users.findById', kind: 'statement' as const, file: 'src/users/users.repository.ts', line: 3 },
      { name: 'users.list', kind: 'family' as const, file: 'src/users/users.repository.ts', line: 4 },
      { name: 'purges.claim', kind: 'statement' as const, file: 'src/retention/purge.repository.ts', line: 9 },
    ];
    const missing = unexecuted(declared, executions);
    expect(missing.map((statement) => statement.name)).toEqual(['users.list', 'purges.claim']);
    expect(coverageSummary('mysql', declared, missing)).toBe(
      [
        'statement coverage on mysql: 1 of 3 declared statements executed by the integration tier',
        '  never executed: users.list (src/users/users.repository.ts:4)',
        '  never executed: purges.claim (src/retention/purge.repository.ts:9)',
      ].join('\n'),
    );
  });

  it('reads an absent directory as nothing executed', () => {
    expect(mergedExecutions(join(root, 'none')).size).toBe(0);
  });
});
