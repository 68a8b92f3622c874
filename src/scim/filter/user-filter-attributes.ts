import type { BooleanAttribute, StringAttribute, UserFilterAttribute } from '../../users/search/user-filter';

const CORE_USER_SCHEMA_PREFIX = 'urn:ietf:params:scim:schemas:core:2.0:user:';

const ATTRIBUTE_TYPES: Readonly<Record<UserFilterAttribute, 'string' | 'boolean' | 'dateTime'>> = {
  userName: 'string',
  externalId: 'string',
  id: 'string',
  'emails.value': 'string',
  'emails.type': 'string',
  'name.givenName': 'string',
  'name.familyName': 'string',
  displayName: 'string',
  active: 'boolean',
  'emails.primary': 'boolean',
  'meta.created': 'dateTime',
  'meta.lastModified': 'dateTime',
};

// Keyed by lower case: SCIM attribute names are case-insensitive (RFC 7643 §2.1).
// Maps, not objects, so that a name like "constructor" finds nothing.
const USER_ATTRIBUTES = new Map<string, UserFilterAttribute>([
  ...(Object.keys(ATTRIBUTE_TYPES) as UserFilterAttribute[]).map((name) => [name.toLowerCase(), name] as const),
  // A multi-valued attribute named without a sub-attribute means its `value`.
  ['emails', 'emails.value'],
]);
const EMAIL_SUB_ATTRIBUTES = new Map<string, UserFilterAttribute>([
  ['value', 'emails.value'],
  ['type', 'emails.type'],
  ['primary', 'emails.primary'],
]);

/** `urn:…:core:2.0:User:name.givenName` → `name.givenName`, whatever the letter case. */
export function withoutCoreSchemaPrefix(attrPath: string): string {
  return attrPath.toLowerCase().startsWith(CORE_USER_SCHEMA_PREFIX) ? attrPath.slice(CORE_USER_SCHEMA_PREFIX.length) : attrPath;
}

/** The attribute an attrPath names at the top level of a filter, if it is one we can search. */
export function resolveUserAttribute(attrPath: string): UserFilterAttribute | undefined {
  return USER_ATTRIBUTES.get(withoutCoreSchemaPrefix(attrPath).toLowerCase());
}

/** The attribute a sub-attribute names inside `emails[...]`, if it is one we can search. */
export function resolveEmailSubAttribute(attrPath: string): UserFilterAttribute | undefined {
  return EMAIL_SUB_ATTRIBUTES.get(attrPath.toLowerCase());
}

export function isEmailsAttribute(attrPath: string): boolean {
  return withoutCoreSchemaPrefix(attrPath).toLowerCase() === 'emails';
}

export function isStringAttribute(attribute: UserFilterAttribute): attribute is StringAttribute {
  return ATTRIBUTE_TYPES[attribute] === 'string';
}

export function isBooleanAttribute(attribute: UserFilterAttribute): attribute is BooleanAttribute {
  return ATTRIBUTE_TYPES[attribute] === 'boolean';
}
