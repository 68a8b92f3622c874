import { normalizeUserName } from '../../users/user.entity';
import type { DialectSql } from './sql-dialect';
import type { DateTimeAttribute, StringAttribute } from './user-filter';

/**
 * Where a string attribute lives, and how it and a filter value are folded before comparing.
 * An empty string counts as absent, as it does in the SCIM representation of a user.
 */
export type StringColumn = {
  /** True or false (never NULL): the attribute has a value. */
  readonly present: string;
  /** Every row has a value, so comparisons need no presence test. */
  readonly alwaysPresent: boolean;
  /** What comparisons read: the stored value folded the way `fold` folds the filter value. */
  readonly compared: string;
  readonly fold: (value: string) => string;
  /** Part of a multi-valued attribute: a condition holds when some value satisfies it. */
  readonly multiValued: boolean;
  /** `compared` is a bare column with an index worth keeping usable. */
  readonly indexed: boolean;
};

/** The one email we store is the user's work email and their primary one. */
export const STORED_EMAIL_TYPE = 'work';
export const STORED_EMAIL_IS_PRIMARY = true;

export type UserColumns = {
  readonly strings: Readonly<Record<Exclude<StringAttribute, 'emails.type'>, StringColumn>>;
  readonly dateTimes: Readonly<Record<DateTimeAttribute, string>>;
  readonly active: string;
};

const lowerCase = (value: string): string => value.toLowerCase();
const asIs = (value: string): string => value;

/** The users table as the filter translation sees it, under `alias`. */
export function userColumns(sql: DialectSql, alias: string): UserColumns {
  const column = (name: string): string => `${sql.quote(alias)}.${sql.quote(name)}`;
  const hasText = (expression: string): string => `(${expression} IS NOT NULL AND ${sql.compare(expression, '<>', "''")})`;

  const nullableText = (stored: string, fold: (value: string) => string, multiValued: boolean, indexed: boolean): StringColumn => ({
    present: hasText(stored),
    alwaysPresent: false,
    compared: fold === lowerCase ? `LOWER(${stored})` : stored,
    fold,
    multiValued,
    indexed,
  });
  const requiredText = (stored: string, fold: (value: string) => string): StringColumn => ({
    present: sql.compare(stored, '<>', "''"),
    alwaysPresent: true,
    compared: stored,
    fold,
    multiValued: false,
    indexed: true,
  });

  const givenName = column('given_name');
  const familyName = column('family_name');
  // As the SCIM representation builds it: the names that are present, joined by a space.
  const displayName = `(CASE WHEN ${hasText(givenName)} AND ${hasText(familyName)} THEN ${sql.joinWithSpace(givenName, familyName)} WHEN ${hasText(givenName)} THEN ${givenName} WHEN ${hasText(familyName)} THEN ${familyName} END)`;

  return {
    strings: {
      // Compared in the stored normal form, so case never matters and the unique index serves the lookup.
      userName: requiredText(column('user_name_normalized'), normalizeUserName),
      id: requiredText(column('id'), asIs),
      externalId: nullableText(column('external_id'), asIs, false, true),
      'emails.value': nullableText(column('email'), lowerCase, true, false),
      'name.givenName': nullableText(givenName, lowerCase, false, false),
      'name.familyName': nullableText(familyName, lowerCase, false, false),
      displayName: {
        ...nullableText(displayName, lowerCase, false, false),
        present: `(${hasText(givenName)} OR ${hasText(familyName)})`,
      },
    },
    dateTimes: { 'meta.created': column('created_at'), 'meta.lastModified': column('updated_at') },
    active: column('active'),
  };
}
