import { describeValue, isJsonObject, JsonObject } from './json-members';
import { parsePatchPath, PatchTarget } from './patch-path';
import { readPatchOperations } from './patch-request';
import { activeNotRemovable, toActive, toExternalId, toNamePart, toUserName, userNameNotRemovable } from './patch-values';
import { ScimPatchError } from './scim-patch.error';

/** The user columns a PATCH request changes: only those it addressed are present. */
export type UserPatch = {
  userName?: string;
  givenName?: string | null;
  familyName?: string | null;
  /** null: remove it (refused by the users domain once one is set: it is immutable). */
  externalId?: string | null;
  active?: boolean;
};

/**
 * Maps a SCIM PatchOp request body (RFC 7644 §3.5.2) onto the user columns we keep. Operations
 * apply in order, so a later one wins; attributes we do not store (emails, displayName,
 * extensions…) are accepted and ignored. `add` and `replace` mean the same for the single-valued
 * attributes we keep. Throws ScimPatchError for a request it cannot apply.
 */
export function mapUserPatch(body: unknown): UserPatch {
  const patch: UserPatch = {};
  for (const operation of readPatchOperations(body)) {
    if (operation.op === 'remove') {
      if (operation.path === undefined) {
        throw new ScimPatchError('noTarget', 'A remove operation needs a path');
      }
      remove(patch, parsePatchPath(operation.path));
    } else if (operation.path === undefined) {
      if (!isJsonObject(operation.value)) {
        throw new ScimPatchError(
          'invalidValue',
          `A path-less ${operation.op} needs an object of attributes as its value, not ${describeValue(operation.value)}`,
        );
      }
      setAll(patch, operation.value);
    } else {
      if (!operation.hasValue) {
        throw new ScimPatchError('invalidValue', `The ${operation.op} of "${operation.path}" needs a value`);
      }
      set(patch, parsePatchPath(operation.path), operation.value);
    }
  }
  return patch;
}

/** Each key is a path (`active`, `name.givenName`, `urn:…:User:userName`), each value what to set there. */
function setAll(patch: UserPatch, attributes: JsonObject): void {
  for (const [path, value] of Object.entries(attributes)) {
    set(patch, parsePatchPath(path), value);
  }
}

function set(patch: UserPatch, target: PatchTarget, value: unknown): void {
  switch (target) {
    case 'userName':
      patch.userName = toUserName(value);
      return;
    case 'active':
      patch.active = toActive(value);
      return;
    case 'externalId':
      patch.externalId = toExternalId(value);
      return;
    case 'name.givenName':
      patch.givenName = toNamePart(value, 'name.givenName');
      return;
    case 'name.familyName':
      patch.familyName = toNamePart(value, 'name.familyName');
      return;
    case 'name':
      setName(patch, value);
      return;
    case 'coreSchema':
      if (!isJsonObject(value)) {
        throw new ScimPatchError('invalidValue', `The core User schema takes an object of attributes, not ${describeValue(value)}`);
      }
      setAll(patch, value);
      return;
    case 'ignored':
      return;
  }
}

/** Sub-attributes not given are left as they are (RFC 7644 §3.5.2.3); null clears the whole name. */
function setName(patch: UserPatch, value: unknown): void {
  if (value === null) {
    patch.givenName = null;
    patch.familyName = null;
    return;
  }
  if (!isJsonObject(value)) {
    throw new ScimPatchError('invalidValue', `name must be an object of sub-attributes, not ${describeValue(value)}`);
  }
  for (const [subAttribute, part] of Object.entries(value)) {
    const key = subAttribute.toLowerCase();
    if (key === 'givenname') {
      patch.givenName = toNamePart(part, 'name.givenName');
    } else if (key === 'familyname') {
      patch.familyName = toNamePart(part, 'name.familyName');
    }
  }
}

function remove(patch: UserPatch, target: PatchTarget): void {
  switch (target) {
    case 'name.givenName':
      patch.givenName = null;
      return;
    case 'name.familyName':
      patch.familyName = null;
      return;
    case 'name':
      patch.givenName = null;
      patch.familyName = null;
      return;
    case 'externalId':
      patch.externalId = null;
      return;
    case 'userName':
      throw userNameNotRemovable();
    case 'active':
      throw activeNotRemovable();
    case 'coreSchema':
      throw new ScimPatchError('invalidPath', 'The core User schema as a whole cannot be removed');
    case 'ignored':
      return;
  }
}
