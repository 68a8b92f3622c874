import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

/** `from -> to`, each a module's folder under src/ (e.g. `users`, `retention/runner`). */
export type ModuleEdge = `${string} -> ${string}`;

export interface ModuleGraph {
  edges: ModuleEdge[];
  /** Folders of the modules marked @Global(): every module may inject them without importing them. */
  globals: string[];
}

/**
 * The Nest module graph as the code declares it: every `*.module.ts` under `src/` and the other
 * modules it imports. The application module, which assembles all of them, is left out, and so are
 * imports of global modules.
 */
export function moduleGraphOfCode(sourceRoot: string): ModuleGraph {
  const modules = moduleFiles(sourceRoot).filter((file) => dirname(file) !== sourceRoot);
  const folderOf = (file: string) => relative(sourceRoot, dirname(file)).split('\\').join('/');
  const globals = modules.filter((file) => /@Global\(\)/.test(readFileSync(file, 'utf8'))).map(folderOf);
  const edges = new Set<ModuleEdge>();
  for (const file of modules) {
    for (const [, specifier] of readFileSync(file, 'utf8').matchAll(/from '(\.{1,2}\/[^']+\.module)'/g)) {
      const target = folderOf(`${resolve(dirname(file), specifier)}.ts`);
      if (!globals.includes(target)) {
        edges.add(`${folderOf(file)} -> ${target}`);
      }
    }
  }
  return { edges: [...edges].sort(), globals: globals.sort() };
}

function moduleFiles(folder: string): string[] {
  return readdirSync(folder, { withFileTypes: true }).flatMap((entry) => {
    const path = join(folder, entry.name);
    if (entry.isDirectory()) {
      return moduleFiles(path);
    }
    return entry.name.endsWith('.module.ts') ? [path] : [];
  });
}

/**
 * The edges of the first mermaid flowchart in a Markdown text: `a --> b & c`, chains `a --> b --> c`,
 * and nodes named by their label where they have one (`apiKeys[api-keys]`, `runner["retention/runner"]`).
 */
export function moduleGraphOfMermaid(markdown: string): ModuleEdge[] {
  const block = /```mermaid\n([\s\S]*?)```/.exec(markdown)?.[1];
  if (block === undefined) {
    return [];
  }
  const statements = block.split('\n').map((line) => line.trim());
  const labels = new Map<string, string>();
  for (const statement of statements) {
    for (const [, id, label] of statement.matchAll(/([\w-]+)\["?([^"\]]+)"?\]/g)) {
      labels.set(id, label);
    }
  }
  const nameOf = (node: string) => {
    const id = node.trim().replace(/\[.*\]$/, '');
    return labels.get(id) ?? id;
  };
  const edges = new Set<ModuleEdge>();
  for (const statement of statements.filter((line) => line.includes('-->'))) {
    const steps = statement.split('-->').map((step) => step.split('&').map(nameOf));
    for (let i = 0; i + 1 < steps.length; i += 1) {
      for (const from of steps[i]) {
        for (const to of steps[i + 1]) {
          edges.add(`${from} -> ${to}`);
        }
      }
    }
  }
  return [...edges].sort();
}

/** A mermaid flowchart of the edges, one line per importing module: what the README should show. */
export function mermaidOf(edges: ModuleEdge[]): string {
  const declared = new Set<string>();
  const node = (name: string) => {
    const id = name.replace(/[^A-Za-z0-9]+(.)/g, (_, next: string) => next.toUpperCase());
    if (id === name || declared.has(id)) {
      return id;
    }
    declared.add(id);
    return `${id}["${name}"]`;
  };
  const targets = new Map<string, string[]>();
  for (const edge of edges) {
    const [from, to] = edge.split(' -> ');
    targets.set(from, [...(targets.get(from) ?? []), to]);
  }
  const lines = [...targets].map(([from, tos]) => `  ${node(from)} --> ${tos.map(node).join(' & ')}`);
  return ['```mermaid', 'flowchart LR', ...lines, '```'].join('\n');
}
