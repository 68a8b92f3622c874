import { NewUser, UserChanges } from '../users/user-changes';
import { describeValue, isJsonObject, JsonObject, memberOf } from './patch/json-members';
import { ScimException } from './scim-error';
import { SCIM_USER_SCHEMA } from './scim-user.mapper';

const MAX_STRING = 255;
const MAX_EMAIL = 320;

/**
 * Reads a User resource sent with POST or PUT. Attribute names are case-insensitive; what this
 * service does not keep (password, groups, displayName, locale, extensions, meta, …) is ignored.
 * userName and active are required (as /Schemas declares them).
 */
export function readNewUser(body: unknown): NewUser {
  const resource = readUserResource(body);
  return {
    userName: requiredUserName(resource),
    ...readNames(resource),
    email: primaryEmail(resource),
    externalId: optionalString(resource, 'externalId', 'externalId', MAX_STRING),
    active: requiredActive(resource),
  };
}

/**
 * PUT replaces the mutable attributes: names absent from the body are cleared. externalId,
 * immutable, is left alone when absent (RFC 7644 §3.5.1), set when the user has none, and must
 * otherwise match.
 */
export function readReplacement(body: unknown): UserChanges {
  const resource = readUserResource(body);
  const externalId = memberOf(resource, 'externalId').found ? optionalString(resource, 'externalId', 'externalId', MAX_STRING) : undefined;
  return { userName: requiredUserName(resource), ...readNames(resource), externalId, active: requiredActive(resource) };
}

/** RFC 7644 §3.5.1: a required attribute must be in every POST and PUT; this one decides whether the user's data is purged. */
function requiredActive(resource: JsonObject): boolean {
  const active = optionalBoolean(resource, 'active');
  if (active === undefined) {
    throw invalid(
      'invalidValue',
      'active is required: send "active": true for a user who may use the service, or false to deactivate them ' +
        '(deactivation permanently deletes every file and message of the user).',
    );
  }
  return active;
}

function readNames(resource: JsonObject): { givenName: string | null; familyName: string | null } {
  const name = optionalObject(resource, 'name');
  return {
    givenName: name ? optionalString(name, 'givenName', 'name.givenName', MAX_STRING) : null,
    familyName: name ? optionalString(name, 'familyName', 'name.familyName', MAX_STRING) : null,
  };
}

function readUserResource(body: unknown): JsonObject {
  if (!isJsonObject(body)) {
    throw invalid('invalidSyntax', `The request body must be a JSON object (a SCIM User), not ${describeValue(body)}.`);
  }
  const schemas = memberOf(body, 'schemas').value;
  if (
    !Array.isArray(schemas) ||
    !schemas.some((schema) => typeof schema === 'string' && schema.toLowerCase() === SCIM_USER_SCHEMA.toLowerCase())
  ) {
    throw invalid('invalidSyntax', `"schemas" must list "${SCIM_USER_SCHEMA}".`);
  }
  return body;
}

function requiredUserName(resource: JsonObject): string {
  const userName = optionalString(resource, 'userName', 'userName', MAX_STRING);
  if (userName === null || userName.trim() === '') {
    throw invalid('invalidValue', 'userName is required and must be a non-empty string.');
  }
  return userName;
}

function primaryEmail(resource: JsonObject): string | null {
  const emails = memberOf(resource, 'emails').value;
  if (emails === undefined || emails === null) {
    return null;
  }
  if (!Array.isArray(emails)) {
    throw invalid('invalidValue', 'emails must be an array.');
  }
  const values = emails.filter(isJsonObject);
  const chosen =
    values.find((email) => optionalBoolean(email, 'primary') === true) ??
    values.find((email) => memberOf(email, 'type').value === 'work') ??
    values[0];
  return chosen ? optionalString(chosen, 'value', 'emails.value', MAX_EMAIL) : null;
}

function optionalObject(resource: JsonObject, key: string): JsonObject | null {
  const value = memberOf(resource, key).value;
  if (value === undefined || value === null) {
    return null;
  }
  if (!isJsonObject(value)) {
    throw invalid('invalidValue', `${key} must be an object, not ${describeValue(value)}.`);
  }
  return value;
}

function optionalString(object: JsonObject, key: string, label: string, maxLength: number): string | null {
  const value = memberOf(object, key).value;
  if (value === undefined || value === null) {
    return null;
  }
  if (typeof value !== 'string') {
    throw invalid('invalidValue', `${label} must be a string, not ${describeValue(value)}.`);
  }
  if (value.length > maxLength) {
    throw invalid('invalidValue', `${label} is longer than ${maxLength} characters.`);
  }
  return value === '' ? null : value;
}

/** Entra sends booleans as "True"/"False". */
function optionalBoolean(object: JsonObject, key: string): boolean | undefined {
  const value = memberOf(object, key).value;
  if (value === undefined || value === null) {
    return undefined;
  }
  if (typeof value === 'boolean') {
    return value;
  }
  if (typeof value === 'string' && ['true', 'false'].includes(value.toLowerCase())) {
    return value.toLowerCase() === 'true';
  }
  throw invalid('invalidValue', `${key} must be a boolean, not ${describeValue(value)}.`);
}

function invalid(scimType: 'invalidSyntax' | 'invalidValue', detail: string): ScimException {
  return new ScimException(400, detail, scimType);
}
