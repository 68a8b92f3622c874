import { describe, expect, it } from 'vitest';
import { dialectSql, filterDialectOf } from './comparison-dialect';

describe('dialectSql', () => {
  it.each([
    ['co', 'a*b?c[d]e', '*a[*]b[?]c[[]d]e*'],
    ['sw', '50%_!', '50%_!*'],
    ['ew', '\\', '*\\'],
  ] as const)('makes SQLite GLOB patterns that read %s "%s" literally', (kind, value, pattern) => {
    expect(dialectSql('sqlite').pattern(kind, value)).toBe(pattern);
  });

  it.each([
    ['co', '50%_off', '%50!%!_off%'],
    ['sw', 'a!b', 'a!!b%'],
    ['ew', 'a\\b*?[', '%a\\b*?['],
  ] as const)('makes MySQL LIKE patterns that read %s "%s" literally', (kind, value, pattern) => {
    expect(dialectSql('mysql').pattern(kind, value)).toBe(pattern);
  });

  it('quotes identifiers for each dialect', () => {
    expect(dialectSql('sqlite').quote('a"b')).toBe('"a""b"');
    expect(dialectSql('mysql').quote('a`b')).toBe('`a``b`');
  });
});

describe('filterDialectOf', () => {
  it.each([
    ['sqlite', 'sqlite'],
    ['mysql', 'mysql'],
    ['mariadb', 'mysql'],
  ] as const)('maps %s to %s', (name, dialect) => {
    expect(filterDialectOf(name)).toBe(dialect);
  });
});
