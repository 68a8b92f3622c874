// The SCIM shapes and input rules the baseline shares with the product, written once and kept
// minimal: only what the five benchmarked requests need.

export const USER_SCHEMA = 'urn:ietf:params:scim:schemas:core:2.0:User';
export const LIST_SCHEMA = 'urn:ietf:params:scim:api:messages:2.0:ListResponse';
export const ERROR_SCHEMA = 'urn:ietf:params:scim:api:messages:2.0:Error';
export const PATCH_SCHEMA = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';
export const MEDIA_TYPE = 'application/scim+json; charset=utf-8';

export class ScimError extends Error {
  constructor(status, detail, scimType) {
    super(detail);
    this.status = status;
    this.scimType = scimType;
  }
}

/** The uniqueness key, as the product computes it (NFC, then lower case). */
export function normalizeUserName(userName) {
  return userName.normalize('NFC').toLowerCase();
}

export function etagOf(version) {
  return `W/"${version}"`;
}

/** A users row (snake_case columns, dates as Date) as a SCIM User resource, same shape as the product's. */
export function toResource(row, scimBaseUrl) {
  const given = row.given_name || null;
  const family = row.family_name || null;
  const formatted = [given, family].filter((part) => part).join(' ');
  const name = {};
  if (given) {
    name.givenName = given;
  }
  if (family) {
    name.familyName = family;
  }
  if (formatted) {
    name.formatted = formatted;
  }
  const resource = { schemas: [USER_SCHEMA], id: row.id };
  if (row.external_id) {
    resource.externalId = row.external_id;
  }
  resource.userName = row.user_name;
  // As the product: a user without names (a deactivated user, whose profile is wiped) has no name attribute.
  if (given || family) {
    resource.name = name;
  }
  if (formatted) {
    resource.displayName = formatted;
  }
  resource.emails = row.email ? [{ value: row.email, type: 'work', primary: true }] : [];
  resource.active = row.active === true || row.active === 1;
  resource.meta = {
    resourceType: 'User',
    created: row.created_at.toISOString(),
    lastModified: row.updated_at.toISOString(),
    location: `${scimBaseUrl}/Users/${row.id}`,
    version: etagOf(row.version),
  };
  return resource;
}

function isObject(value) {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Case-insensitive member lookup (SCIM attribute names are case-insensitive). */
function member(object, key) {
  if (key in object) {
    return object[key];
  }
  const lower = key.toLowerCase();
  for (const name of Object.keys(object)) {
    if (name.toLowerCase() === lower) {
      return object[name];
    }
  }
  return undefined;
}

function optionalString(object, key, maxLength) {
  const value = member(object, key);
  if (value === undefined || value === null) {
    return null;
  }
  if (typeof value !== 'string' || value.length > maxLength) {
    throw new ScimError(400, `${key} must be a string of at most ${maxLength} characters.`, 'invalidValue');
  }
  return value === '' ? null : value;
}

function optionalBoolean(object, key) {
  const value = member(object, key);
  if (value === undefined || value === null) {
    return undefined;
  }
  if (typeof value === 'boolean') {
    return value;
  }
  if (typeof value === 'string' && /^(true|false)$/i.test(value)) {
    return value.toLowerCase() === 'true';
  }
  throw new ScimError(400, `${key} must be a boolean.`, 'invalidValue');
}

function userResource(body) {
  if (!isObject(body)) {
    throw new ScimError(400, 'The request body must be a JSON object (a SCIM User).', 'invalidSyntax');
  }
  const schemas = member(body, 'schemas');
  if (
    !Array.isArray(schemas) ||
    !schemas.some((schema) => typeof schema === 'string' && schema.toLowerCase() === USER_SCHEMA.toLowerCase())
  ) {
    throw new ScimError(400, `"schemas" must list "${USER_SCHEMA}".`, 'invalidSyntax');
  }
  const userName = optionalString(body, 'userName', 255);
  if (userName === null || userName.trim() === '') {
    throw new ScimError(400, 'userName is required and must be a non-empty string.', 'invalidValue');
  }
  const name = member(body, 'name');
  if (name !== undefined && name !== null && !isObject(name)) {
    throw new ScimError(400, 'name must be an object.', 'invalidValue');
  }
  return {
    userName,
    givenName: name ? optionalString(name, 'givenName', 255) : null,
    familyName: name ? optionalString(name, 'familyName', 255) : null,
    active: optionalBoolean(body, 'active'),
    body,
  };
}

/** POST body: a new user. */
export function readNewUser(body) {
  const user = userResource(body);
  const emails = member(user.body, 'emails');
  let email = null;
  if (emails !== undefined && emails !== null) {
    if (!Array.isArray(emails)) {
      throw new ScimError(400, 'emails must be an array.', 'invalidValue');
    }
    const values = emails.filter(isObject);
    const chosen =
      values.find((entry) => optionalBoolean(entry, 'primary') === true) ??
      values.find((entry) => member(entry, 'type') === 'work') ??
      values[0];
    email = chosen ? optionalString(chosen, 'value', 320) : null;
  }
  return {
    userName: user.userName,
    givenName: user.givenName,
    familyName: user.familyName,
    email,
    externalId: optionalString(user.body, 'externalId', 255),
    active: user.active ?? true,
  };
}

/** PUT body: names absent are cleared, active absent stays as is. */
export function readReplacement(body) {
  const user = userResource(body);
  return { userName: user.userName, givenName: user.givenName, familyName: user.familyName, active: user.active };
}

/**
 * PATCH body: the operations Okta and Entra send for the benchmarked changes (replace of
 * `active` and of the names, with or without a path). Anything else is refused with 400.
 */
export function readPatch(body) {
  if (!isObject(body)) {
    throw new ScimError(400, 'The request body must be a PatchOp object.', 'invalidSyntax');
  }
  const schemas = member(body, 'schemas');
  if (!Array.isArray(schemas) || !schemas.includes(PATCH_SCHEMA)) {
    throw new ScimError(400, `"schemas" must list "${PATCH_SCHEMA}".`, 'invalidSyntax');
  }
  const operations = member(body, 'Operations');
  if (!Array.isArray(operations) || operations.length === 0) {
    throw new ScimError(400, 'A PATCH request must carry an Operations array.', 'invalidSyntax');
  }
  const changes = {};
  const apply = (path, value) => {
    switch (path.toLowerCase()) {
      case 'active': {
        const active = optionalBoolean({ active: value }, 'active');
        if (active === undefined) {
          throw new ScimError(400, 'active needs a value.', 'invalidValue');
        }
        changes.active = active;
        return;
      }
      case 'name.givenname':
        changes.givenName = optionalString({ v: value }, 'v', 255);
        return;
      case 'name.familyname':
        changes.familyName = optionalString({ v: value }, 'v', 255);
        return;
      default:
        throw new ScimError(400, `The baseline does not patch "${path}".`, 'invalidPath');
    }
  };
  for (const operation of operations) {
    if (!isObject(operation) || String(member(operation, 'op')).toLowerCase() !== 'replace') {
      throw new ScimError(400, 'The baseline supports replace operations only.', 'invalidSyntax');
    }
    const path = member(operation, 'path');
    const value = member(operation, 'value');
    if (typeof path === 'string') {
      apply(path, value);
    } else if (isObject(value)) {
      for (const [key, inner] of Object.entries(value)) {
        if (key.toLowerCase() === 'name' && isObject(inner)) {
          for (const [nameKey, nameValue] of Object.entries(inner)) {
            apply(`name.${nameKey}`, nameValue);
          }
        } else {
          apply(key, inner);
        }
      }
    } else {
      throw new ScimError(400, 'A replace operation without a path needs an object value.', 'invalidSyntax');
    }
  }
  return changes;
}

/** The one filter the benchmark sends: `userName eq "<value>"`. */
export function readUserNameFilter(filter) {
  const match = /^\s*userName\s+eq\s+("(?:[^"\\]|\\.)*")\s*$/i.exec(filter);
  if (!match) {
    throw new ScimError(400, 'The baseline understands only filter=userName eq "<value>".', 'invalidFilter');
  }
  try {
    return JSON.parse(match[1]);
  } catch {
    throw new ScimError(400, 'The filter value is not a valid string.', 'invalidFilter');
  }
}

/** Non-integers read as the default, as in the product (RFC 7644 leaves it to the server). */
export function integerParameter(value, fallback) {
  return typeof value === 'string' && /^-?\d{1,15}$/.test(value.trim()) ? Number(value) : fallback;
}
