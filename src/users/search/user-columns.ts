import type { DialectSql } from '../../database/comparison-dialect';
import { foldCase, normalizeUserName, normalizeUserNamePart } from '../caseless-text';
import type { DateTimeAttribute, StringAttribute } from './user-filter';

/**
 * Where a string attribute lives, and how it and a filter value are folded before comparing.
 * An empty string counts as absent, as it does in the SCIM representation of a user.
 * Folding is the application's (`src/users/caseless-text.ts`), never the database's: the
 * columns compared hold values folded when they were written.
 */
export type StringColumn = {
  /** True or false (never NULL): the attribute has a value. */
  readonly present: string;
  /** Every row has a value, so comparisons need no presence test. */
  readonly alwaysPresent: boolean;
  /** What comparisons read: the stored value folded the way `fold` folds the filter value. */
  readonly compared: string;
  /** For eq, ne, gt, ge, lt and le. */
  readonly fold: (value: string) => string;
  /** For co, sw and ew, whose values are pieces of a value. */
  readonly foldPart: (value: string) => string;
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

const asIs = (value: string): string => value;

/** The users table as the filter translation sees it, under `alias`. */
export function userColumns(sql: DialectSql, alias: string): UserColumns {
  const column = (name: string): string => `${sql.quote(alias)}.${sql.quote(name)}`;
  const hasText = (expression: string): string => sql.hasText(expression);

  // `present` reads the value as stored, `compared` its folded copy (the same column when not folded).
  const nullableText = (
    stored: string,
    compared: string,
    fold: (value: string) => string,
    multiValued: boolean,
    indexed: boolean,
  ): StringColumn => ({
    present: hasText(stored),
    alwaysPresent: false,
    compared,
    fold,
    foldPart: fold,
    multiValued,
    indexed,
  });
  const requiredText = (stored: string, fold: (value: string) => string, foldPart = fold): StringColumn => ({
    present: sql.compare(stored, '<>', "''"),
    alwaysPresent: true,
    compared: stored,
    fold,
    foldPart,
    multiValued: false,
    indexed: true,
  });

  const givenName = column('given_name');
  const familyName = column('family_name');
  const givenNameFolded = column('given_name_folded');
  const familyNameFolded = column('family_name_folded');
  // As the SCIM representation builds it: the names that are present, joined by a space, here
  // from the folded parts (a space folds to itself, so that is the folded whole).
  const displayNameFolded = `(CASE WHEN ${hasText(givenName)} AND ${hasText(familyName)} THEN ${sql.joinWithSpace(givenNameFolded, familyNameFolded)} WHEN ${hasText(givenName)} THEN ${givenNameFolded} WHEN ${hasText(familyName)} THEN ${familyNameFolded} END)`;

  return {
    strings: {
      // Compared in the stored normal form, so case never matters and the unique index serves the lookup.
      userName: requiredText(column('user_name_normalized'), normalizeUserName, normalizeUserNamePart),
      id: requiredText(column('id'), asIs),
      externalId: nullableText(column('external_id'), column('external_id'), asIs, false, true),
      'emails.value': nullableText(column('email'), column('email_folded'), foldCase, true, false),
      'name.givenName': nullableText(givenName, givenNameFolded, foldCase, false, false),
      'name.familyName': nullableText(familyName, familyNameFolded, foldCase, false, false),
      displayName: {
        ...nullableText(givenName, displayNameFolded, foldCase, false, false),
        present: `(${hasText(givenName)} OR ${hasText(familyName)})`,
      },
    },
    dateTimes: { 'meta.created': column('created_at'), 'meta.lastModified': column('updated_at') },
    active: column('active'),
  };
}
