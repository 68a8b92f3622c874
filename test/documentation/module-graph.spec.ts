import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { moduleGraphOfCode, moduleGraphOfMermaid } from './module-graph';

const ROOT = resolve(__dirname, '../..');
const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');

describe("the README's module graph", () => {
  it('draws exactly the imports between the modules under src/ (global modules aside)', () => {
    expect(moduleGraphOfMermaid(readme)).toEqual(moduleGraphOfCode(join(ROOT, 'src')).edges);
  });

  it('names the global modules it leaves out', () => {
    const sentence = /^(.*) are global\b/m.exec(readme)?.[1] ?? '';
    const named = [...sentence.matchAll(/`([\w/-]+)`/g)].map(([, name]) => name).sort();
    expect(named).toEqual(moduleGraphOfCode(join(ROOT, 'src')).globals);
  });
});

describe('the mermaid reader', () => {
  it('reads fan-out, chains and labelled nodes', () => {
    const markdown = [
      '```mermaid',
      'flowchart LR',
      '  users --> apiKeys & audit',
      '  apiKeys[api-keys] --> secrets',
      '  runner["retention/runner"] --> retention --> history',
      '```',
    ].join('\n');
    expect(moduleGraphOfMermaid(markdown)).toEqual([
      'api-keys -> secrets',
      'retention -> history',
      'retention/runner -> retention',
      'users -> api-keys',
      'users -> audit',
    ]);
  });
});
