import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { mermaidOf, moduleGraphOfCode, moduleGraphOfMermaid } from './module-graph';

const ROOT = resolve(__dirname, '../..');
const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');

describe("the README's module graph", () => {
  it('draws exactly the imports between the modules under src/ (global modules aside)', () => {
    const { edges } = moduleGraphOfCode(join(ROOT, 'src'));
    expect(moduleGraphOfMermaid(readme), `README.md's Layout section could draw it as\n${mermaidOf(edges)}\n`).toEqual(edges);
  });

  it('names the global modules it leaves out', () => {
    const sentence = /^(.*) are global\b/m.exec(readme)?.[1] ?? '';
    const named = [...sentence.matchAll(/`([\w/-]+)`/g)].map(([, name]) => name).sort();
    expect(named).toEqual(moduleGraphOfCode(join(ROOT, 'src')).globals);
  });
});

describe('the mermaid reader and writer', () => {
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

  it('writes a chart that reads back as the same edges', () => {
    const edges = ['api-keys -> secrets', 'retention/runner -> retention', 'retention/runner -> storage', 'users -> api-keys'] as const;
    const chart = mermaidOf([...edges]);
    expect(chart).toContain('retentionRunner["retention/runner"] --> retention & storage');
    expect(moduleGraphOfMermaid(chart)).toEqual([...edges]);
  });
});
