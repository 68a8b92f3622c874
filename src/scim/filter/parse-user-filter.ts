import { Compare, Filter, parse } from 'scim2-parse-filter';
import { DateTimeOperator, UserFilter, UserFilterAttribute } from '../../users/search/user-filter';
import { assertDepth, assertFilterWithinLimits, DEFAULT_MAX_FILTER_CLAUSES, FilterClauseBudget } from './filter-limits';
import { decodeFilterString, spellOutEscapedBackslashes } from './filter-string-escapes';
import { explainFilterSyntaxError } from './filter-syntax-error';
import { parseScimDateTime } from './scim-date-time';
import { ScimFilterError } from './scim-filter.error';
import {
  isBooleanAttribute,
  isEmailsAttribute,
  isStringAttribute,
  resolveEmailSubAttribute,
  resolveUserAttribute,
} from './user-filter-attributes';

/** Where an attrPath is read: at the top level, or inside `emails[...]` where it names a sub-attribute. */
type Scope = 'user' | 'emails';

export type UserFilterLimits = {
  /** Most comparisons and presence tests accepted; more is FilterTooComplexError. */
  readonly maxClauses: number;
};

/**
 * Parses a SCIM filter (RFC 7644 §3.4.2.2) over Users and checks it against what we can search.
 * Throws ScimFilterError for anything it cannot turn into a UserFilter.
 */
export function parseUserFilter(filter: string, limits: UserFilterLimits = { maxClauses: DEFAULT_MAX_FILTER_CLAUSES }): UserFilter {
  if (filter.trim() === '') {
    throw new ScimFilterError('Invalid filter: the filter is empty');
  }
  assertFilterWithinLimits(filter);
  let parsed: Filter;
  try {
    parsed = parse(spellOutEscapedBackslashes(filter));
  } catch (error) {
    throw new ScimFilterError(explainFilterSyntaxError(filter, error instanceof Error ? error.message : String(error)));
  }
  return toUserFilter(parsed, 'user', 1, new FilterClauseBudget(limits.maxClauses));
}

function toUserFilter(node: Filter | undefined, scope: Scope, depth: number, budget: FilterClauseBudget): UserFilter {
  assertDepth(depth);
  // The parser returns a tree with a hole for some malformed input (an operand missing around "not").
  if (node === undefined || node === null || typeof node !== 'object') {
    throw new ScimFilterError(
      'Invalid filter: an operand is missing (a "not" takes a filter in parentheses, and "and"/"or" join two filters)',
    );
  }
  switch (node.op) {
    case 'and':
    case 'or':
      return { kind: node.op, filters: node.filters.map((child) => toUserFilter(child, scope, depth + 1, budget)) };
    case 'not':
      return { kind: 'not', filter: toUserFilter(node.filter, scope, depth + 1, budget) };
    case '[]':
      if (scope !== 'user' || !isEmailsAttribute(node.attrPath)) {
        throw new ScimFilterError(`Unsupported filter attribute "${node.attrPath}[...]": only emails[...] takes a value filter`);
      }
      return { kind: 'emails', filter: toUserFilter(node.valFilter, 'emails', depth + 1, budget) };
    case 'pr':
      budget.spend();
      return { kind: 'present', attribute: resolve(node.attrPath, scope) };
    case 'eq':
    case 'ne':
    case 'co':
    case 'sw':
    case 'ew':
    case 'gt':
    case 'ge':
    case 'lt':
    case 'le':
      budget.spend();
      return comparison(node, resolve(node.attrPath, scope));
  }
}

const SEARCHABLE =
  'filters can search userName, externalId, id, emails (value, type, primary; also as emails[...]), name.givenName, name.familyName, displayName, active, meta.created and meta.lastModified';

function resolve(attrPath: string, scope: Scope): UserFilterAttribute {
  const attribute = scope === 'user' ? resolveUserAttribute(attrPath) : resolveEmailSubAttribute(attrPath);
  if (attribute === undefined) {
    throw new ScimFilterError(`Unsupported filter attribute "${scope === 'emails' ? `emails[${attrPath}]` : attrPath}": ${SEARCHABLE}`);
  }
  return attribute;
}

function comparison({ op, compValue }: Compare, attribute: UserFilterAttribute): UserFilter {
  if (compValue === null) {
    if (op === 'eq') {
      return { kind: 'not', filter: { kind: 'present', attribute } };
    }
    if (op === 'ne') {
      return { kind: 'present', attribute };
    }
    throw new ScimFilterError(`Invalid filter: "${attribute} ${op} null" compares with null, which only eq and ne can do`);
  }
  const value = typeof compValue === 'string' ? decodeFilterString(compValue) : compValue;
  if (isStringAttribute(attribute)) {
    if (typeof value !== 'string') {
      throw wrongValue(attribute, 'a quoted string', value);
    }
    return { kind: 'string', attribute, op, value };
  }
  if (isBooleanAttribute(attribute)) {
    if (op !== 'eq' && op !== 'ne') {
      throw new ScimFilterError(`Invalid filter: operator "${op}" cannot be used with the boolean attribute ${attribute}`);
    }
    if (typeof value !== 'boolean') {
      throw wrongValue(attribute, 'true or false', value);
    }
    return { kind: 'boolean', attribute, op, value };
  }
  if (!isDateTimeOperator(op)) {
    throw new ScimFilterError(`Invalid filter: operator "${op}" cannot be used with the dateTime attribute ${attribute}`);
  }
  const instant = typeof value === 'string' ? parseScimDateTime(value) : undefined;
  if (instant === undefined) {
    throw wrongValue(attribute, 'a quoted xsd:dateTime with a time zone, such as "2026-01-31T12:00:00Z"', value);
  }
  return { kind: 'dateTime', attribute, op, value: instant };
}

function isDateTimeOperator(op: Compare['op']): op is DateTimeOperator {
  return op !== 'co' && op !== 'sw' && op !== 'ew';
}

function wrongValue(attribute: UserFilterAttribute, expected: string, value: string | number | boolean): ScimFilterError {
  return new ScimFilterError(`Invalid filter: ${attribute} must be compared with ${expected}, not ${JSON.stringify(value)}`);
}
