import { ScimFilterError } from './scim-filter.error';

export const MAX_FILTER_LENGTH = 4096;
export const MAX_FILTER_DEPTH = 50;

/**
 * Rejects what would make the filter library slow or recurse deeply, before it runs:
 * overlong input, nesting beyond MAX_FILTER_DEPTH, and control characters (a raw newline
 * inside an unterminated string makes its tokenizer backtrack exponentially).
 */
export function assertFilterWithinLimits(filter: string): void {
  if (filter.length > MAX_FILTER_LENGTH) {
    throw new ScimFilterError(`Filter is too long: at most ${MAX_FILTER_LENGTH} characters are accepted`);
  }
  for (let i = 0; i < filter.length; i += 1) {
    if (filter.charCodeAt(i) < 0x20) {
      throw new ScimFilterError('Invalid filter: control characters (such as tabs or line breaks) are not allowed');
    }
  }
  let depth = 0;
  let inString = false;
  for (let i = 0; i < filter.length; i += 1) {
    const char = filter[i];
    if (inString) {
      if (char === '\\') {
        i += 1;
      } else if (char === '"') {
        inString = false;
      }
    } else if (char === '"') {
      inString = true;
    } else if (char === '(' || char === '[') {
      depth += 1;
      assertDepth(depth);
    } else if ((char === ')' || char === ']') && depth > 0) {
      depth -= 1;
    }
  }
}

export function assertDepth(depth: number): void {
  if (depth > MAX_FILTER_DEPTH) {
    throw new ScimFilterError(`Filter is nested too deeply: at most ${MAX_FILTER_DEPTH} levels are accepted`);
  }
}
