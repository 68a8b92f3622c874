import { describe, expect, it } from 'vitest';
import { DEFAULT_MAX_FILTER_CLAUSES, FilterTooComplexError, MAX_FILTER_LENGTH } from './filter-limits';
import { parseUserFilter } from './parse-user-filter';

const orOf = (clause: string, count: number): string => Array.from({ length: count }, () => clause).join(' or ');

function refusal(filter: string, maxClauses?: number): FilterTooComplexError {
  try {
    parseUserFilter(filter, maxClauses === undefined ? undefined : { maxClauses });
  } catch (error) {
    expect(error).toBeInstanceOf(FilterTooComplexError);
    return error as FilterTooComplexError;
  }
  throw new Error(`expected ${JSON.stringify(filter)} to be refused`);
}

describe('the clause limit of a filter', () => {
  it('accepts as many comparisons as the limit allows, and refuses one more, naming the limit', () => {
    expect(() => parseUserFilter(orOf('name.givenName co "a"', DEFAULT_MAX_FILTER_CLAUSES))).not.toThrow();
    const error = refusal(orOf('name.givenName co "a"', DEFAULT_MAX_FILTER_CLAUSES + 1));
    expect(error.message).toBe(
      `Filter has too many conditions: at most ${DEFAULT_MAX_FILTER_CLAUSES} comparisons and presence tests (such as userName eq "…" or externalId pr) are accepted in one filter`,
    );
    expect(error.scimType).toBe('invalidFilter');
  });

  it('counts presence tests, comparisons inside emails[...] and under not, whatever the nesting', () => {
    const four = 'emails[type eq "work" and value co "@x"] or not (externalId pr) and userName sw "a"';
    expect(() => parseUserFilter(four, { maxClauses: 4 })).not.toThrow();
    expect(refusal(four, 3).maxClauses).toBe(3);
    expect(refusal('(((active eq true))) and ((name.familyName pr))', 1).maxClauses).toBe(1);
  });

  it('takes the configured limit', () => {
    expect(() => parseUserFilter(orOf('userName eq "a"', 25), { maxClauses: 25 })).not.toThrow();
    expect(refusal(orOf('userName eq "a"', 26), 25).message).toContain('at most 25 comparisons');
  });

  it('refuses the 4 KB filter of 161 OR-ed co clauses (within the length limit, so only the clause limit stops it)', () => {
    const hostile = Array.from({ length: 161 }, (_, index) => `displayName co "z${index}"`).join(' or ');
    expect(hostile.length).toBeLessThanOrEqual(MAX_FILTER_LENGTH);
    expect(refusal(hostile).maxClauses).toBe(DEFAULT_MAX_FILTER_CLAUSES);
  });
});
