/**
 * An instant from a filter, in UTC, kept to nanoseconds so that each database can compare at its
 * own precision: `utcSeconds` is `YYYY-MM-DD HH:MM:SS`, `fraction` exactly 9 digits.
 */
export type ScimDateTime = { readonly utcSeconds: string; readonly fraction: string };

export type StringAttribute =
  'userName' | 'externalId' | 'id' | 'emails.value' | 'emails.type' | 'name.givenName' | 'name.familyName' | 'displayName';
export type BooleanAttribute = 'active' | 'emails.primary';
export type DateTimeAttribute = 'meta.created' | 'meta.lastModified';
export type UserFilterAttribute = StringAttribute | BooleanAttribute | DateTimeAttribute;

export type StringOperator = 'eq' | 'ne' | 'co' | 'sw' | 'ew' | 'gt' | 'ge' | 'lt' | 'le';
export type DateTimeOperator = 'eq' | 'ne' | 'gt' | 'ge' | 'lt' | 'le';
export type BooleanOperator = 'eq' | 'ne';

/**
 * A SCIM filter over Users, checked against the attributes we can search: every attribute is
 * known and every value has its attribute's type, so translating it cannot fail.
 * `eq null` arrives as `not present`, `ne null` as `present`.
 */
export type UserFilter =
  | { readonly kind: 'and' | 'or'; readonly filters: readonly UserFilter[] }
  | { readonly kind: 'not'; readonly filter: UserFilter }
  /** `emails[...]`: some email matches every condition inside (which name `emails.*` attributes). */
  | { readonly kind: 'emails'; readonly filter: UserFilter }
  | { readonly kind: 'present'; readonly attribute: UserFilterAttribute }
  | { readonly kind: 'string'; readonly attribute: StringAttribute; readonly op: StringOperator; readonly value: string }
  | { readonly kind: 'boolean'; readonly attribute: BooleanAttribute; readonly op: BooleanOperator; readonly value: boolean }
  | { readonly kind: 'dateTime'; readonly attribute: DateTimeAttribute; readonly op: DateTimeOperator; readonly value: ScimDateTime };
