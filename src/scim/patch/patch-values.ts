import { describeValue } from './json-members';
import { ScimPatchError } from './scim-patch.error';

// As the users table stores them (and POST and PUT check them).
const MAX_EXTERNAL_ID_LENGTH = 255;
const MAX_NAME_PART_LENGTH = 255;

/** A boolean, or Entra's "True" / "False" (any letter case), which it sends unless told otherwise. */
export function toActive(value: unknown): boolean {
  if (value === null) {
    throw activeNotRemovable();
  }
  if (typeof value === 'boolean') {
    return value;
  }
  const word = typeof value === 'string' ? value.toLowerCase() : undefined;
  if (word === 'true' || word === 'false') {
    return word === 'true';
  }
  throw new ScimPatchError('invalidValue', `active must be true or false, not ${describeValue(value)}`);
}

export function toUserName(value: unknown): string {
  if (value === null) {
    throw userNameNotRemovable();
  }
  if (typeof value !== 'string' || value.trim() === '') {
    throw new ScimPatchError('invalidValue', `userName must be a non-empty string, not ${describeValue(value)}`);
  }
  return value;
}

/** A name part: a string, or null to clear it. */
export function toNamePart(value: unknown, attribute: string): string | null {
  if (value !== null && typeof value !== 'string') {
    throw new ScimPatchError('invalidValue', `${attribute} must be a string or null, not ${describeValue(value)}`);
  }
  if (value !== null && value.length > MAX_NAME_PART_LENGTH) {
    throw new ScimPatchError('invalidValue', `${attribute} is longer than ${MAX_NAME_PART_LENGTH} characters`);
  }
  return value;
}

/** A value for externalId, or null to remove it; the users domain decides whether it may change. */
export function toExternalId(value: unknown): string | null {
  if (value !== null && typeof value !== 'string') {
    throw new ScimPatchError('invalidValue', `externalId must be a string, not ${describeValue(value)}`);
  }
  if (value !== null && value.length > MAX_EXTERNAL_ID_LENGTH) {
    throw new ScimPatchError('invalidValue', `externalId is longer than ${MAX_EXTERNAL_ID_LENGTH} characters`);
  }
  return value === '' ? null : value;
}

// RFC 7644 §3.5.2: removing (or nulling) a required attribute is a "mutability" error.
export function activeNotRemovable(): ScimPatchError {
  return new ScimPatchError(
    'mutability',
    'active is required and cannot be removed: replace it with true or false (false deactivates the user and permanently deletes every file and message of the user)',
  );
}

export function userNameNotRemovable(): ScimPatchError {
  return new ScimPatchError('mutability', 'userName is required and cannot be removed');
}
