import { dirname, posix } from 'node:path';
import type { SourceText } from './data-access-rules';

/**
 * "Infrastructure imports no feature" (DEVELOPERS.md). Both sets are listed by hand so that a new
 * folder under src/ is a decision, not a default: the spec fails until it is in one of them.
 * Top-level files (main.ts, app.module.ts, app-setup.ts, ...) are the composition root, in neither.
 */
export const INFRASTRUCTURE = ['common', 'config', 'database', 'health', 'logging', 'metrics', 'redis', 'storage'] as const;
export const FEATURES = [
  'api-keys',
  'audit',
  'auth',
  'cli',
  'console',
  'content-encryption',
  'history',
  'key-rotation',
  'organizations',
  'retention',
  'scim',
  'scim-credentials',
  'secrets',
  'sessions',
  'sign-in-links',
  'sso',
  'users',
] as const;

export type LayeringViolation = { file: string; line: number; imported: string };

// Static imports and re-exports (`from '...'`, type-only ones too), dynamic import() and require().
const SPECIFIER = /\bfrom\s+'([^']+)'|\bimport\(\s*'([^']+)'\s*\)|\brequire\(\s*'([^']+)'\s*\)/g;

/** The top-level folder under src/ that a file path (`src/x/...`) belongs to, or null for the composition root. */
export function topFolderOf(path: string): string | null {
  const match = /^src\/([^/]+)\//.exec(path);
  return match ? match[1] : null;
}

/** Imports from a file under an infrastructure folder into a feature folder. */
export function checkLayering(files: readonly SourceText[]): LayeringViolation[] {
  const infrastructure: ReadonlySet<string> = new Set(INFRASTRUCTURE);
  const features: ReadonlySet<string> = new Set(FEATURES);
  const violations: LayeringViolation[] = [];
  for (const file of files) {
    const from = topFolderOf(file.path);
    if (from === null || !infrastructure.has(from)) {
      continue;
    }
    file.text.split('\n').forEach((text, index) => {
      for (const match of text.matchAll(SPECIFIER)) {
        const specifier = match[1] ?? match[2] ?? match[3];
        if (!specifier.startsWith('.')) {
          continue;
        }
        const target = topFolderOf(posix.join(dirname(file.path), specifier) + '/');
        if (target !== null && features.has(target)) {
          violations.push({ file: file.path, line: index + 1, imported: specifier });
        }
      }
    });
  }
  return violations;
}
