import { describe, expect, it } from 'vitest';
import type { UserFilter } from '../../users/search/user-filter';
import { MAX_FILTER_DEPTH, MAX_FILTER_LENGTH } from './filter-limits';
import { parseUserFilter } from './parse-user-filter';
import { ScimFilterError } from './scim-filter.error';

function parseError(filter: string): ScimFilterError {
  try {
    parseUserFilter(filter);
  } catch (error) {
    expect(error).toBeInstanceOf(ScimFilterError);
    return error as ScimFilterError;
  }
  throw new Error(`expected ${JSON.stringify(filter)} to be rejected`);
}

const userNameIs = (value: string): UserFilter => ({ kind: 'string', attribute: 'userName', op: 'eq', value });

describe('parseUserFilter', () => {
  describe('comparisons', () => {
    it.each(['eq', 'ne', 'co', 'sw', 'ew', 'gt', 'ge', 'lt', 'le'] as const)('reads the string operator %s', (op) => {
      expect(parseUserFilter(`userName ${op} "x"`)).toEqual({ kind: 'string', attribute: 'userName', op, value: 'x' });
    });

    it('reads pr', () => {
      expect(parseUserFilter('name.familyName pr')).toEqual({ kind: 'present', attribute: 'name.familyName' });
    });

    it.each([
      ['active eq true', { kind: 'boolean', attribute: 'active', op: 'eq', value: true }],
      ['active ne false', { kind: 'boolean', attribute: 'active', op: 'ne', value: false }],
      ['active pr', { kind: 'present', attribute: 'active' }],
    ])('reads booleans: %s', (filter, expected) => {
      expect(parseUserFilter(filter)).toEqual(expected);
    });

    it.each(['eq', 'ne', 'gt', 'ge', 'lt', 'le'] as const)('reads dateTime comparisons with %s, as UTC instants', (op) => {
      expect(parseUserFilter(`meta.lastModified ${op} "2026-01-31T23:30:00.25-01:00"`)).toEqual({
        kind: 'dateTime',
        attribute: 'meta.lastModified',
        op,
        value: { utcSeconds: '2026-02-01 00:30:00', fraction: '250000000' },
      });
    });

    it('treats eq null as not present and ne null as present', () => {
      expect(parseUserFilter('externalId eq null')).toEqual({ kind: 'not', filter: { kind: 'present', attribute: 'externalId' } });
      expect(parseUserFilter('active ne null')).toEqual({ kind: 'present', attribute: 'active' });
    });
  });

  describe('attribute names', () => {
    it.each([
      ['userName', 'userName'],
      ['externalId', 'externalId'],
      ['id', 'id'],
      ['emails', 'emails.value'],
      ['emails.value', 'emails.value'],
      ['emails.type', 'emails.type'],
      ['name.givenName', 'name.givenName'],
      ['name.familyName', 'name.familyName'],
      ['displayName', 'displayName'],
    ])('maps the string attribute %s', (attrPath, attribute) => {
      expect(parseUserFilter(`${attrPath} sw "a"`)).toEqual({ kind: 'string', attribute, op: 'sw', value: 'a' });
    });

    it.each([
      ['meta.created', 'meta.created'],
      ['meta.lastModified', 'meta.lastModified'],
      ['emails.primary', 'emails.primary'],
    ])('maps %s', (attrPath, attribute) => {
      expect(parseUserFilter(`${attrPath} pr`)).toEqual({ kind: 'present', attribute });
    });

    it.each(['USERNAME eq "x"', 'UserName eq "x"', 'username EQ "x"', 'userName Eq "x"'])(
      'ignores letter case in names and operators: %s',
      (filter) => {
        expect(parseUserFilter(filter)).toEqual(userNameIs('x'));
      },
    );

    it.each(['urn:ietf:params:scim:schemas:core:2.0:User:userName eq "x"', 'URN:IETF:PARAMS:SCIM:SCHEMAS:CORE:2.0:USER:username eq "x"'])(
      'strips the core User schema URN: %s',
      (filter) => {
        expect(parseUserFilter(filter)).toEqual(userNameIs('x'));
      },
    );

    it('strips the URN from dotted and value-path attributes', () => {
      expect(parseUserFilter('urn:ietf:params:scim:schemas:core:2.0:User:name.givenName eq "B"')).toEqual({
        kind: 'string',
        attribute: 'name.givenName',
        op: 'eq',
        value: 'B',
      });
      expect(parseUserFilter('urn:ietf:params:scim:schemas:core:2.0:User:emails[type eq "work"]')).toEqual({
        kind: 'emails',
        filter: { kind: 'string', attribute: 'emails.type', op: 'eq', value: 'work' },
      });
    });
  });

  describe('logical expressions', () => {
    it('reads and, or and not, with and binding tighter than or', () => {
      expect(parseUserFilter('userName eq "a" or userName eq "b" and not (active eq true)')).toEqual({
        kind: 'or',
        filters: [
          userNameIs('a'),
          {
            kind: 'and',
            filters: [userNameIs('b'), { kind: 'not', filter: { kind: 'boolean', attribute: 'active', op: 'eq', value: true } }],
          },
        ],
      });
    });

    it('reads upper-case AND / OR / NOT and parentheses', () => {
      expect(parseUserFilter('(userName eq "a" OR userName eq "b") AND NOT (active eq false)')).toEqual({
        kind: 'and',
        filters: [
          { kind: 'or', filters: [userNameIs('a'), userNameIs('b')] },
          { kind: 'not', filter: { kind: 'boolean', attribute: 'active', op: 'eq', value: false } },
        ],
      });
    });

    it('reads value paths on emails with sub-attributes in any letter case', () => {
      expect(parseUserFilter('emails[TYPE eq "work" and Value co "@x.com" and primary eq true]')).toEqual({
        kind: 'emails',
        filter: {
          kind: 'and',
          filters: [
            { kind: 'string', attribute: 'emails.type', op: 'eq', value: 'work' },
            { kind: 'string', attribute: 'emails.value', op: 'co', value: '@x.com' },
            { kind: 'boolean', attribute: 'emails.primary', op: 'eq', value: true },
          ],
        },
      });
    });

    it('reads a value path followed by a sub-attribute, as Entra sends it', () => {
      expect(parseUserFilter('emails[type eq "work"].value eq "a@x.com"')).toEqual({
        kind: 'and',
        filters: [
          { kind: 'emails', filter: { kind: 'string', attribute: 'emails.type', op: 'eq', value: 'work' } },
          { kind: 'string', attribute: 'emails.value', op: 'eq', value: 'a@x.com' },
        ],
      });
    });
  });

  describe('string values', () => {
    it.each([
      ['a\\"b', 'a"b'],
      ['a\\\\b', 'a\\b'],
      ['a\\\\\\"b', 'a\\"b'],
      ['Jos\\u00e9', 'José'],
      ['x\\ty', 'x\ty'],
      ['DOMAIN\\\\user', 'DOMAIN\\user'],
      ['a\\/b', 'a/b'],
      ['\\ud83d\\ude00', '😀'],
      ['DOMAIN\\\\', 'DOMAIN\\'],
      ['\\\\', '\\'],
      ['\\\\\\\\', '\\\\'],
      ['\\\\\\"', '\\"'],
      ['\\u005c', '\\'],
      ['José', 'José'],
      ["x' OR '1'='1", "x' OR '1'='1"],
    ])('decodes the JSON string "%s"', (encoded, decoded) => {
      expect(parseUserFilter(`userName eq "${encoded}"`)).toEqual(userNameIs(decoded));
    });

    it('reads a value ending in a backslash, which the library alone cannot', () => {
      expect(parseUserFilter('userName eq "a\\\\" or userName eq "b"')).toEqual({
        kind: 'or',
        filters: [userNameIs('a\\'), userNameIs('b')],
      });
    });

    it('keeps a value as sent: folding for comparison is the translation’s business', () => {
      expect(parseUserFilter('name.givenName eq "BARBARA"')).toEqual({
        kind: 'string',
        attribute: 'name.givenName',
        op: 'eq',
        value: 'BARBARA',
      });
    });
  });

  describe('rejects', () => {
    it.each([
      ['an empty filter', ''],
      ['a blank filter', '   '],
      ['a missing value', 'userName eq'],
      ['an unknown operator', 'userName xx "a"'],
      ['a dangling and', 'userName eq "a" and'],
      ['an unclosed parenthesis', '(userName eq "a"'],
      ['an extra closing parenthesis', 'userName eq "a")'],
      ['an unclosed value path', 'emails[type eq "work"'],
      ['single quotes', "userName eq 'a'"],
      ['an unquoted string', 'userName eq bjensen'],
      ['an unterminated string', 'userName eq "abc'],
      ['trailing garbage', 'userName eq "a" garbage'],
      ['an invalid escape', 'userName eq "a\\qb"'],
      ['a value after pr', 'userName pr "x"'],
      ['True instead of true', 'active eq True'],
    ])('%s as invalid', (_case, filter) => {
      expect(parseError(filter).message).toMatch(/^Invalid filter: /);
    });

    // Each message of scim2-parse-filter, and of our own string decoding, names the problem and the fix.
    it.each([
      ['userName eq', 'Invalid filter: "userName eq" needs a value, such as userName eq "alice@example.com"'],
      ['active eq', 'Invalid filter: "active eq" needs a value, such as active eq true'],
      ['meta.created gt  ', 'Invalid filter: "meta.created gt" needs a value, such as meta.created gt "2026-01-31T12:00:00Z"'],
      ['name.givenName sw', 'Invalid filter: "name.givenName sw" needs a value, such as name.givenName sw "Alice"'],
      [
        'userName',
        'Invalid filter: "userName" needs an operator: eq, ne, co, sw, ew, gt, ge, lt, le (each followed by a value) or pr, such as userName eq "alice@example.com" or userName pr',
      ],
      [
        'userName xx "a"',
        'Invalid filter: "xx" after userName is not an operator: use eq, ne, co, sw, ew, gt, ge, lt, le (each followed by a value) or pr',
      ],
      ['active eq True', 'Invalid filter: True is not a value: write true, false and null in lower case (true)'],
      ['userName eq nulL', 'Invalid filter: nulL is not a value: write true, false and null in lower case (null)'],
      [
        'userName eq bjensen',
        'Invalid filter: bjensen is not a value: put strings in double quotes ("bjensen"); true, false, null and numbers stand alone',
      ],
      [
        'userName eq (',
        'Invalid filter: a value is missing before "(": compare with a string in double quotes, true, false, null or a number',
      ],
      ["userName eq 'a'", 'Invalid filter: strings are written in double quotes, not single quotes: userName eq "alice@example.com"'],
      ['userName eq "abc', 'Invalid filter: the string "abc is not closed: end it with a double quote'],
      [
        'userName eq "x" & active eq true',
        'Invalid filter: "&" cannot appear here: a filter holds attribute names, operators (eq, ne, co, sw, ew, gt, ge, lt, le (each followed by a value) or pr), values, and, or, not and parentheses',
      ],
      ['(userName eq "a"', 'Invalid filter: a "(" is not closed: add the matching ")"'],
      ['(userName eq "a" ]', 'Invalid filter: expected ")" to close a "(", not "]"'],
      [
        'userName eq "a" and',
        'Invalid filter: the filter ends where an expression is expected (after "and", "or", "not" or "("): add one, such as userName eq "alice@example.com"',
      ],
      [
        'not',
        'Invalid filter: the filter ends where an expression is expected (after "and", "or", "not" or "("): add one, such as userName eq "alice@example.com"',
      ],
      [')', 'Invalid filter: ")" cannot start an expression: start with an attribute name (such as userName), "not" or "("'],
      ['"a" eq "b"', 'Invalid filter: ""a"" cannot start an expression: start with an attribute name (such as userName), "not" or "("'],
      ['emails[type eq "work"', 'Invalid filter: a "[" is not closed: add the matching "]", as in emails[type eq "work"]'],
      ['emails[type eq "a")', 'Invalid filter: expected "]" to close a "[", not ")"'],
      ['userName eq "a")', 'Invalid filter: a ")" has no matching "("'],
      ['userName eq "a"]', 'Invalid filter: a "]" has no matching "["'],
      ['userName pr "x"', 'Invalid filter: pr takes no value: write userName pr'],
      [
        'userName eq "a" garbage',
        'Invalid filter: "garbage" follows a complete expression: join expressions with "and" or "or", as in userName eq "alice@example.com" and active eq true',
      ],
      [
        'userName eq "a\\qb"',
        'Invalid filter: a quoted value holds a backslash that starts no JSON escape: write \\\\ for a backslash itself (\\" for a double quote, \\uXXXX for any character)',
      ],
    ])('explains %j', (filter, message) => {
      expect(parseError(filter).message).toBe(message);
    });

    it('never echoes a long token at length', () => {
      const message = parseError(`userName eq ${'x'.repeat(500)}`).message;
      expect(message.length).toBeLessThan(200);
      expect(message).toContain(`${'x'.repeat(40)}…`);
    });

    it.each(['title pr', 'name eq "x"', 'name.middleName eq "x"', 'emails.display pr', 'meta.resourceType eq "User"', 'password eq "x"'])(
      'an attribute it cannot search: %s',
      (filter) => {
        expect(parseError(filter).message).toMatch(/^Unsupported filter attribute "/);
      },
    );

    it('an extension attribute, listing what can be searched', () => {
      expect(parseError('urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber eq "1"').message).toBe(
        'Unsupported filter attribute "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber": filters can search userName, externalId, id, ' +
          'emails (value, type, primary; also as emails[...]), name.givenName, name.familyName, displayName, active, meta.created and meta.lastModified',
      );
    });

    it.each([
      'name[givenName eq "x"]',
      'emails[emails[value pr]]',
      'emails[userName eq "x"]',
      'emails[constructor pr]',
      'constructor pr',
      '__proto__ pr',
    ])('value paths and names outside what is searchable: %s', (filter) => {
      expect(parseError(filter).message).toMatch(/^Unsupported filter attribute /);
    });

    it.each([
      ['active eq "yes"', 'Invalid filter: active must be compared with true or false, not "yes"'],
      ['active eq 1', 'Invalid filter: active must be compared with true or false, not 1'],
      ['userName eq 5', 'Invalid filter: userName must be compared with a quoted string, not 5'],
      ['userName eq true', 'Invalid filter: userName must be compared with a quoted string, not true'],
      ['emails[primary eq "true"]', 'Invalid filter: emails.primary must be compared with true or false, not "true"'],
    ])('a value of the wrong type: %s', (filter, message) => {
      expect(parseError(filter).message).toBe(message);
    });

    it.each(['active gt true', 'active co "t"', 'emails.primary sw "t"'])('an operator booleans do not have: %s', (filter) => {
      expect(parseError(filter).message).toMatch(/^Invalid filter: operator "\w+" cannot be used with the boolean attribute /);
    });

    it.each(['meta.created co "2026"', 'meta.lastModified sw "2026"'])('a substring operator on a dateTime: %s', (filter) => {
      expect(parseError(filter).message).toMatch(/^Invalid filter: operator "\w+" cannot be used with the dateTime attribute /);
    });

    it.each(['"yesterday"', '"2026-01-01"', '"2026-01-01T00:00:00"', '"2026-02-30T00:00:00Z"', '"2026-01-01T24:00:00Z"', '5', 'true'])(
      'a dateTime value that is not an instant: %s',
      (value) => {
        expect(parseError(`meta.created gt ${value}`).message).toMatch(
          /^Invalid filter: meta.created must be compared with a quoted xsd:dateTime/,
        );
      },
    );

    it.each(['gt', 'co', 'sw', 'ew', 'lt', 'ge', 'le'])('null with %s', (op) => {
      expect(parseError(`userName ${op} null`).message).toMatch(/only eq and ne can do$/);
    });

    it('a filter longer than the limit', () => {
      const filter = `userName eq "${'a'.repeat(MAX_FILTER_LENGTH)}"`;
      expect(parseError(filter).message).toBe(`Filter is too long: at most ${MAX_FILTER_LENGTH} characters are accepted`);
    });

    it('accepts a filter right at the length limit', () => {
      const prefix = 'userName eq ""';
      const value = 'a'.repeat(MAX_FILTER_LENGTH - prefix.length);
      expect(parseUserFilter(`userName eq "${value}"`)).toEqual(userNameIs(value));
    });

    it.each([
      ['parentheses', (n: number) => `${'('.repeat(n)}userName eq "a"${')'.repeat(n)}`],
      ['not', (n: number) => `${'not ('.repeat(n)}userName eq "a"${')'.repeat(n)}`],
      ['not without parentheses', (n: number) => `${'not '.repeat(n)}userName eq "a"`],
    ])('nesting deeper than the limit: %s', (_case, nest) => {
      expect(() => parseUserFilter(nest(MAX_FILTER_DEPTH - 2))).not.toThrow();
      expect(parseError(nest(MAX_FILTER_DEPTH + 1)).message).toBe(
        `Filter is nested too deeply: at most ${MAX_FILTER_DEPTH} levels are accepted`,
      );
    });

    it('deep nesting quickly, without exhausting the stack', () => {
      const started = Date.now();
      expect(parseError(`${'('.repeat(2000)}userName eq "a"${')'.repeat(2000)}`).message).toMatch(/nested too deeply/);
      expect(parseError(`${'not '.repeat(1000)}userName eq "a"`).message).toMatch(/nested too deeply/);
      expect(Date.now() - started).toBeLessThan(1000);
    });

    it('parentheses inside strings do not count as nesting', () => {
      expect(parseUserFilter(`userName eq "${'('.repeat(100)}"`)).toEqual(userNameIs('('.repeat(100)));
    });

    it.each(['userName eq "a\nb"', 'userName\teq "a"', `userName eq "${'\n'.repeat(40)}`, 'userName eq "a\\\nb"'])(
      'control characters, quickly (a line break in an open string makes the tokenizer backtrack exponentially)',
      (filter) => {
        const started = Date.now();
        expect(parseError(filter).message).toMatch(/control characters/);
        expect(Date.now() - started).toBeLessThan(1000);
      },
    );
  });

  it('refuses a filter whose parse tree has a missing operand, rather than failing on it', () => {
    for (const filter of ['emails[type eq "work"]not emails[type eq "work"]', 'userName eq "a" not userName eq "b"']) {
      const error = parseError(filter);
      expect(error.scimType).toBe('invalidFilter');
      expect(error.message).toMatch(/^Invalid filter/);
    }
  });

  it('gives errors the SCIM type invalidFilter', () => {
    expect(parseError('title pr').scimType).toBe('invalidFilter');
  });
});
