import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { brokenReferences, headingAnchor, headingAnchors } from './markdown-references';

const ROOT = resolve(__dirname, '../..');
const documents = [
  'README.md',
  ...readdirSync(join(ROOT, 'docs'))
    .filter((name) => name.endsWith('.md'))
    .map((name) => `docs/${name}`),
];

describe('README and docs/ name only what exists', () => {
  it.each(documents)('%s: every relative link, anchor and repository path resolves', (document) => {
    expect(brokenReferences(join(ROOT, document), ROOT)).toEqual([]);
  });

  it('the README stays short enough to read in five minutes', () => {
    expect(readFileSync(join(ROOT, 'README.md')).byteLength).toBeLessThanOrEqual(12 * 1024);
  });
});

describe('the reference checker', () => {
  const scratch = mkdtempSync(join(tmpdir(), 'doc-links-'));
  afterAll(() => rmSync(scratch, { recursive: true, force: true }));

  it('derives the anchors GitHub gives headings', () => {
    expect(headingAnchor('Processes: API and workers')).toBe('processes-api-and-workers');
    expect(headingAnchor('Running against MySQL/MariaDB and Redis')).toBe('running-against-mysqlmariadb-and-redis');
    expect(headingAnchor('How userNames, names and emails are compared')).toBe('how-usernames-names-and-emails-are-compared');
    expect([...headingAnchors('# Notes\n\n## Notes\n\n```\n# not a heading\n```\n')]).toEqual(['notes', 'notes-1']);
  });

  it('reports a missing file, a missing anchor and a missing repository path, and nothing in code', () => {
    mkdirSync(join(scratch, 'docs'));
    writeFileSync(join(scratch, 'docs', 'other.md'), '# Other\n\n## A section\n');
    writeFileSync(
      join(scratch, 'README.md'),
      [
        '# Title',
        '[fine](docs/other.md#a-section), [here](#title), [web](https://example.com/x.md)',
        '[gone](docs/missing.md) and [stale anchor](docs/other.md#another-section)',
        'see `src/nowhere.ts` (but `bench/results/x.json` is generated) and `[not a link](nowhere.md)`',
        '```bash',
        '[in a block](nowhere.md) src/nowhere.ts',
        '```',
      ].join('\n'),
    );

    expect(brokenReferences(join(scratch, 'README.md'), scratch)).toEqual([
      { file: 'README.md', line: 3, reference: 'docs/missing.md', problem: 'no such file' },
      { file: 'README.md', line: 3, reference: 'docs/other.md#another-section', problem: 'no heading with the anchor #another-section' },
      { file: 'README.md', line: 4, reference: 'src/nowhere.ts', problem: 'no such path in the repository' },
    ]);
  });
});
