import { describeValue } from './json-members';
import { ScimPatchError } from './scim-patch.error';

/** A boolean, or Entra's "True" / "False" (any letter case), which it sends unless told otherwise. */
export function toActive(value: unknown): boolean {
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
  return value;
}
