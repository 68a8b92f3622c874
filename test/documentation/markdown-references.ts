import { existsSync, readFileSync } from 'node:fs';
import { dirname, relative, resolve } from 'node:path';

/** A link or a code-span path of a Markdown file that names nothing. */
export interface BrokenReference {
  file: string;
  line: number;
  reference: string;
  problem: string;
}

// Code spans that start like this are read as paths in the repository and must exist.
const REPOSITORY_PATH = /^(src|test|bench|scripts|docs|\.ci)\/[\w./-]*$/;
// Output the tools write and git ignores: named in the docs, absent from a clean clone.
const GENERATED = /^(bench\/results|dist|data)\//;

/** GitHub's anchor for a heading: lower case, punctuation dropped, spaces as hyphens. */
export function headingAnchor(heading: string): string {
  return heading
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\s_-]/gu, '')
    .replace(/\s/g, '-');
}

/** The anchors of a document's headings, with GitHub's `-1`, `-2` … for repeated ones. */
export function headingAnchors(markdown: string): Set<string> {
  const anchors = new Set<string>();
  const seen = new Map<string, number>();
  for (const { text } of proseLines(markdown)) {
    const heading = /^#{1,6}\s+(.*?)\s*#*\s*$/.exec(text);
    if (!heading) {
      continue;
    }
    const anchor = headingAnchor(heading[1]);
    const count = seen.get(anchor) ?? 0;
    seen.set(anchor, count + 1);
    anchors.add(count === 0 ? anchor : `${anchor}-${count}`);
  }
  return anchors;
}

/** Lines outside fenced code blocks, numbered from 1. */
function proseLines(markdown: string): { text: string; line: number }[] {
  const lines: { text: string; line: number }[] = [];
  let fence: string | null = null;
  markdown.split('\n').forEach((text, index) => {
    const marker = /^\s*(`{3,}|~{3,})/.exec(text)?.[1];
    if (marker && (fence === null || marker.startsWith(fence))) {
      fence = fence === null ? marker : null;
      return;
    }
    if (fence === null) {
      lines.push({ text, line: index + 1 });
    }
  });
  return lines;
}

/** Every relative link (with its anchor) and every repository path in a code span of `file`. */
export function brokenReferences(file: string, root: string): BrokenReference[] {
  const markdown = readFileSync(file, 'utf8');
  const broken: BrokenReference[] = [];
  const where = relative(root, file);
  for (const { text, line } of proseLines(markdown)) {
    const withoutCode = text.replace(/`[^`]*`/g, '``');
    for (const [, target] of withoutCode.matchAll(/\]\(([^)\s]+)(?:\s+"[^"]*")?\)/g)) {
      const problem = linkProblem(file, target);
      if (problem) {
        broken.push({ file: where, line, reference: target, problem });
      }
    }
    for (const [, span] of text.matchAll(/`([^`]+)`/g)) {
      if (REPOSITORY_PATH.test(span) && !GENERATED.test(span) && !existsSync(resolve(root, span))) {
        broken.push({ file: where, line, reference: span, problem: 'no such path in the repository' });
      }
    }
  }
  return broken;
}

function linkProblem(file: string, target: string): string | null {
  if (/^[a-z][a-z0-9+.-]*:/i.test(target)) {
    return null;
  }
  const [path, anchor] = target.split('#', 2);
  const linked = path === '' ? file : resolve(dirname(file), decodeURIComponent(path));
  if (!existsSync(linked)) {
    return 'no such file';
  }
  if (anchor === undefined || !linked.endsWith('.md')) {
    return null;
  }
  return headingAnchors(readFileSync(linked, 'utf8')).has(anchor) ? null : `no heading with the anchor #${anchor}`;
}
