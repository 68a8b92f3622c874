import { DEFAULT_SCIM_FILTER_MAX_CLAUSES } from '../../config/environment';
import { ScimFilterError } from './scim-filter.error';

export const MAX_FILTER_LENGTH = 4096;
export const MAX_FILTER_DEPTH = 50;
/** The setting's default (config owns it: infrastructure imports no feature). */
export const DEFAULT_MAX_FILTER_CLAUSES = DEFAULT_SCIM_FILTER_MAX_CLAUSES;

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

/** Counts the comparisons and presence tests of a filter as it is read, refusing one past `max`. */
export class FilterClauseBudget {
  private used = 0;

  constructor(private readonly max: number) {}

  spend(): void {
    this.used += 1;
    if (this.used > this.max) {
      throw new FilterTooComplexError(this.max);
    }
  }
}

/** The clause limit's refusal: told apart from other invalid filters for the metrics. */
export class FilterTooComplexError extends ScimFilterError {
  constructor(readonly maxClauses: number) {
    super(
      `Filter has too many conditions: at most ${maxClauses} comparisons and presence tests (such as userName eq "…" or externalId pr) are accepted in one filter`,
    );
  }
}
