import type { UserFilterAttribute } from '../../users/search/user-filter';
import { resolveUserAttribute } from './user-filter-attributes';

const OPERATORS = 'eq, ne, co, sw, ew, gt, ge, lt, le (each followed by a value) or pr';
const EXAMPLE = 'userName eq "alice@example.com"';

type Explanation = { pattern: RegExp; explain: (match: RegExpExecArray, filter: string) => string };

/**
 * scim2-parse-filter's messages (version pinned in package.json) name tokens, not problems
 * (`[(EOT)] is not json`). Each is turned into what is wrong and how to write it; a message not
 * recognised here is passed on as it is.
 */
const EXPLANATIONS: readonly Explanation[] = [
  { pattern: /^\[\(EOT\)\] is not json$/, explain: (_match, filter) => missingValue(filter) },
  {
    pattern: /^\[(true|false|null)\(Word\)\] is not json$/i,
    explain: ([, word]) => `${word} is not a value: write true, false and null in lower case (${word.toLowerCase()})`,
  },
  {
    pattern: /^\[(.*)\(Word\)\] is not json$/s,
    explain: ([, word]) =>
      `${excerpt(word)} is not a value: put strings in double quotes ("${excerpt(word)}"); true, false, null and numbers stand alone`,
  },
  {
    pattern: /^\[(.*)\(Bracket\)\] is not json$/s,
    explain: ([, bracket]) =>
      `a value is missing before "${bracket}": compare with a string in double quotes, true, false, null or a number`,
  },
  {
    pattern: /^unexpected token '/,
    explain: () => 'strings are written in double quotes, not single quotes: userName eq "alice@example.com"',
  },
  { pattern: /^unexpected token (".*)$/s, explain: ([, rest]) => `the string ${excerpt(rest)} is not closed: end it with a double quote` },
  {
    pattern: /^unexpected token (.*)$/s,
    explain: ([, rest]) =>
      `"${[...rest][0]}" cannot appear here: a filter holds attribute names, operators (${OPERATORS}), values, and, or, not and parentheses`,
  },
  { pattern: /^Unexpected token \[\(EOT\)\] expected '\)'$/, explain: () => 'a "(" is not closed: add the matching ")"' },
  {
    pattern: /^Unexpected token \[(.*)\((?:\w+)\)\] expected '\)'$/s,
    explain: ([, token]) => `expected ")" to close a "(", not "${excerpt(token)}"`,
  },
  {
    pattern: /^Unexpected token {2}\(EOT\)$/,
    explain: () => `the filter ends where an expression is expected (after "and", "or", "not" or "("): add one, such as ${EXAMPLE}`,
  },
  {
    pattern: /^Unexpected token (.*) \((?:Bracket|Quoted|Number)\)$/s,
    explain: ([, token]) => `"${excerpt(token)}" cannot start an expression: start with an attribute name (such as userName), "not" or "("`,
  },
  {
    pattern: /^Unexpected token {2}expected '\]'$/,
    explain: () => 'a "[" is not closed: add the matching "]", as in emails[type eq "work"]',
  },
  { pattern: /^Unexpected token (.*) expected '\]'$/s, explain: ([, token]) => `expected "]" to close a "[", not "${excerpt(token)}"` },
  { pattern: /^Unexpected token (\S*) {2}as valFilter operator$/s, explain: ([, attribute]) => needsOperator(attribute) },
  {
    pattern: /^Unexpected token (\S*) (.*) as valFilter operator$/s,
    explain: ([, attribute, operator]) => `"${excerpt(operator)}" after ${excerpt(attribute)} is not an operator: use ${OPERATORS}`,
  },
  { pattern: /^unexpected EOT (.*)$/s, explain: ([, tokens]) => unexpectedAfterExpression(tokens) },
];

/** The `detail` for a filter the library could not parse, naming the problem and the fix. */
export function explainFilterSyntaxError(filter: string, libraryMessage: string): string {
  for (const { pattern, explain } of EXPLANATIONS) {
    const match = pattern.exec(libraryMessage);
    if (match) {
      return `Invalid filter: ${explain(match, filter)}`;
    }
  }
  return `Invalid filter: ${libraryMessage}`;
}

/** `userName eq` and nothing after it. */
function missingValue(filter: string): string {
  const words = filter.trim().split(/\s+/);
  const [attribute, operator] = words.slice(-2);
  if (words.length < 2) {
    return `a value is missing: write, for example, ${EXAMPLE}`;
  }
  return `"${attribute} ${operator}" needs a value, such as ${attribute} ${operator} ${exampleValue(attribute)}`;
}

function needsOperator(attribute: string): string {
  const name = excerpt(attribute);
  return `"${name}" needs an operator: ${OPERATORS}, such as ${name} eq ${exampleValue(attribute)} or ${name} pr`;
}

const EXAMPLE_VALUES: Readonly<Partial<Record<UserFilterAttribute, string>>> = {
  active: 'true',
  'emails.primary': 'true',
  'meta.created': '"2026-01-31T12:00:00Z"',
  'meta.lastModified': '"2026-01-31T12:00:00Z"',
  'name.givenName': '"Alice"',
  'name.familyName': '"Alice"',
  displayName: '"Alice"',
};

function exampleValue(attrPath: string): string {
  const attribute = resolveUserAttribute(attrPath);
  return (attribute && EXAMPLE_VALUES[attribute]) ?? '"alice@example.com"';
}

/** The library lists the tokens with the first one it could not use in brackets: `a,eq,"b",[garbage],`. */
function unexpectedAfterExpression(tokens: string): string {
  const items = tokens.split(',');
  const at = items.findIndex((item) => /^\[.*\]$/s.test(item));
  const token = at < 0 ? '' : items[at].slice(1, -1);
  if (token === ')') {
    return 'a ")" has no matching "("';
  }
  if (token === ']' || token === '].') {
    return 'a "]" has no matching "["';
  }
  if (at > 0 && items[at - 1].toLowerCase() === 'pr') {
    return `pr takes no value: write ${items[at - 2] ?? 'userName'} pr`;
  }
  return `"${excerpt(token)}" follows a complete expression: join expressions with "and" or "or", as in ${EXAMPLE} and active eq true`;
}

/** Tokens are the client's own text: echoed, but never at length. */
function excerpt(text: string): string {
  return text.length > 40 ? `${text.slice(0, 40)}…` : text;
}
