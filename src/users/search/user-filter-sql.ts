import { ComparisonOperator, DialectSql, dialectSql, SqlDialect } from '../../database/comparison-dialect';
import { STORED_EMAIL_IS_PRIMARY, STORED_EMAIL_TYPE, StringColumn, UserColumns, userColumns } from './user-columns';
import type { StringOperator, UserFilter, UserFilterAttribute } from './user-filter';

/** A WHERE condition in parentheses; every filter value is in `parameters`, none in `sql`. */
export type SqlCondition = { readonly sql: string; readonly parameters: Readonly<Record<string, string | boolean>> };

export type UserFilterSqlOptions = {
  /** The query builder's alias for the users table. */
  readonly alias: string;
  readonly dialect: SqlDialect;
  /** Names the parameters `<prefix>0`, `<prefix>1`, …; by default a prefix no other translation uses. */
  readonly parameterPrefix?: string;
};

type Binding = string | boolean;
type Extracted<K extends UserFilter['kind']> = Extract<UserFilter, { kind: K }>;

const TRUE = '1 = 1';
const FALSE = '1 = 0';
const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;
const ORDERING: Readonly<Record<'eq' | 'ne' | 'gt' | 'ge' | 'lt' | 'le', ComparisonOperator>> = {
  eq: '=',
  ne: '<>',
  gt: '>',
  ge: '>=',
  lt: '<',
  le: '<=',
};

let translations = 0;

/**
 * Translates a parsed filter into a parameterised WHERE condition over the users table.
 * Every condition it writes is true or false, never NULL, so `not` negates exactly.
 */
export function userFilterToSql(filter: UserFilter, options: UserFilterSqlOptions): SqlCondition {
  const prefix = options.parameterPrefix ?? `scimFilter${(translations += 1)}_`;
  for (const identifier of [options.alias, prefix]) {
    if (!IDENTIFIER.test(identifier)) {
      throw new Error(`"${identifier}" cannot be used as a query alias or parameter prefix`);
    }
  }
  const sql = dialectSql(options.dialect);
  const translation = new Translation(sql, userColumns(sql, options.alias), prefix);
  return { sql: `(${translation.condition(filter)})`, parameters: translation.parameters };
}

/** The same condition with `?` placeholders and its values in order, for a prepared statement. */
export type PositionalSqlCondition = { readonly sql: string; readonly values: readonly (string | number)[] };

const POSITIONAL_PREFIX = 'scimFilterValue';
const NAMED_PARAMETER = new RegExp(`:(${POSITIONAL_PREFIX}\\d+)\\b`, 'g');

/** Booleans bind as 1/0, which both dialects compare with their boolean columns. */
export function userFilterToPositionalSql(
  filter: UserFilter,
  options: Omit<UserFilterSqlOptions, 'parameterPrefix'>,
): PositionalSqlCondition {
  const { sql, parameters } = userFilterToSql(filter, { ...options, parameterPrefix: POSITIONAL_PREFIX });
  const values: (string | number)[] = [];
  // Values are never written into `sql` (see Translation.bind), so every match is a placeholder.
  const positional = sql.replace(NAMED_PARAMETER, (_match, name: string) => {
    const value = parameters[name];
    values.push(typeof value === 'boolean' ? Number(value) : value);
    return '?';
  });
  return { sql: positional, values };
}

class Translation {
  readonly parameters: Record<string, Binding> = {};
  private bound = 0;

  constructor(
    private readonly sql: DialectSql,
    private readonly columns: UserColumns,
    private readonly prefix: string,
  ) {}

  condition(filter: UserFilter): string {
    switch (filter.kind) {
      case 'and':
        return `(${filter.filters.map((child) => this.condition(child)).join(' AND ')})`;
      case 'or':
        return `(${filter.filters.map((child) => this.condition(child)).join(' OR ')})`;
      case 'not':
        return `NOT (${this.condition(filter.filter)})`;
      case 'emails':
        return `(${this.present('emails.value')} AND ${this.condition(filter.filter)})`;
      case 'present':
        return this.present(filter.attribute);
      case 'string':
        return this.stringCondition(filter);
      case 'boolean':
        return this.booleanCondition(filter);
      case 'dateTime':
        return this.dateTimeCondition(filter);
    }
  }

  private present(attribute: UserFilterAttribute): string {
    if (attribute === 'emails.type' || attribute === 'emails.primary') {
      return this.present('emails.value');
    }
    if (attribute === 'active' || attribute === 'meta.created' || attribute === 'meta.lastModified') {
      return TRUE; // NOT NULL columns
    }
    return this.columns.strings[attribute].present;
  }

  private stringCondition({ attribute, op, value }: Extracted<'string'>): string {
    if (attribute === 'emails.type') {
      return this.ifSomeEmail(compareStrings(STORED_EMAIL_TYPE, op, value.toLowerCase()));
    }
    const column = this.columns.strings[attribute];
    if (op !== 'ne') {
      return this.whenStored(column, this.stringTest(column, op, value));
    }
    const equal = this.stringTest(column, 'eq', value);
    // On a multi-valued attribute "ne" holds when some value differs, so it needs a value; on a
    // single-valued one it is the negation of "eq", which an absent attribute satisfies.
    return column.multiValued ? this.whenStored(column, `NOT (${equal})`) : `NOT (${this.whenStored(column, equal)})`;
  }

  private stringTest(column: StringColumn, op: Exclude<StringOperator, 'ne'>, value: string): string {
    const folded = op === 'co' || op === 'sw' || op === 'ew' ? column.foldPart(value) : column.fold(value);
    switch (op) {
      case 'eq': {
        const bound = this.bind(folded);
        return column.indexed ? this.sql.equalsOnIndexedColumn(column.compared, bound) : this.sql.compare(column.compared, '=', bound);
      }
      case 'gt':
      case 'ge':
      case 'lt':
      case 'le':
        return this.sql.compare(column.compared, ORDERING[op], this.bind(folded));
      case 'co':
      case 'sw':
      case 'ew':
        return this.sql.matches(column.compared, this.bind(this.sql.pattern(op, folded)));
    }
  }

  private booleanCondition({ attribute, op, value }: Extracted<'boolean'>): string {
    if (attribute === 'emails.primary') {
      return this.ifSomeEmail((op === 'eq') === (value === STORED_EMAIL_IS_PRIMARY));
    }
    return `${this.columns.active} ${ORDERING[op]} ${this.bind(value)}`;
  }

  private dateTimeCondition({ attribute, op, value }: Extracted<'dateTime'>): string {
    const column = this.sql.dateTime(this.columns.dateTimes[attribute]);
    const digits = this.sql.dateTimeFractionDigits;
    const truncated = `${value.utcSeconds}.${value.fraction.slice(0, digits)}`;
    if (/^0*$/.test(value.fraction.slice(digits))) {
      return `${column} ${ORDERING[op]} ${this.bind(truncated)}`;
    }
    // Finer than the column can hold: no stored instant equals it, and the truncated value
    // splits the stored ones into those before it and those after it.
    switch (op) {
      case 'eq':
        return FALSE;
      case 'ne':
        return TRUE;
      case 'gt':
      case 'ge':
        return `${column} > ${this.bind(truncated)}`;
      case 'lt':
      case 'le':
        return `${column} <= ${this.bind(truncated)}`;
    }
  }

  /** For the attributes of the one email we store, whose values are constants. */
  private ifSomeEmail(constantMatches: boolean): string {
    return constantMatches ? this.present('emails.value') : FALSE;
  }

  private whenStored(column: StringColumn, test: string): string {
    return column.alwaysPresent ? test : `(${column.present} AND ${test})`;
  }

  private bind(value: Binding): string {
    const name = `${this.prefix}${this.bound}`;
    this.bound += 1;
    this.parameters[name] = value;
    return `:${name}`;
  }
}

function compareStrings(actual: string, op: StringOperator, expected: string): boolean {
  switch (op) {
    case 'eq':
      return actual === expected;
    case 'ne':
      return actual !== expected;
    case 'co':
      return actual.includes(expected);
    case 'sw':
      return actual.startsWith(expected);
    case 'ew':
      return actual.endsWith(expected);
    case 'gt':
      return actual > expected;
    case 'ge':
      return actual >= expected;
    case 'lt':
      return actual < expected;
    case 'le':
      return actual <= expected;
  }
}
