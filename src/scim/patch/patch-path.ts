import { ScimPatchError } from './scim-patch.error';

/** What a PATCH path (or a key of a path-less value) addresses; anything we do not store is `ignored`. */
export type PatchTarget = 'userName' | 'active' | 'externalId' | 'name' | 'name.givenName' | 'name.familyName' | 'coreSchema' | 'ignored';

export const MAX_PATCH_PATH_LENGTH = 1000;

const SIMPLE_TARGETS: Readonly<Record<string, PatchTarget>> = { username: 'userName', active: 'active', externalid: 'externalId' };

const CORE_USER_SCHEMA = 'urn:ietf:params:scim:schemas:core:2.0:user';
// RFC 7644 §3.5.2 PATH = attrPath / valuePath [subAttr]; the value filter is not checked further
// because no attribute we store is multi-valued, so a filtered path is always ignored.
const PATH = /^([A-Za-z][\w$-]*)(?:\[(.*)\])?(?:\.([A-Za-z$][\w$-]*))?$/;

export function parsePatchPath(path: string): PatchTarget {
  if (path.length > MAX_PATCH_PATH_LENGTH) {
    throw new ScimPatchError('invalidPath', `A path may be at most ${MAX_PATCH_PATH_LENGTH} characters long`);
  }
  const lower = path.toLowerCase();
  if (lower === CORE_USER_SCHEMA) {
    return 'coreSchema';
  }
  if (!lower.startsWith(`${CORE_USER_SCHEMA}:`) && lower.startsWith('urn:')) {
    return 'ignored'; // an extension schema's attribute: we store none
  }
  const relative = lower.startsWith(`${CORE_USER_SCHEMA}:`) ? path.slice(CORE_USER_SCHEMA.length + 1) : path;
  const match = PATH.exec(relative);
  if (!match || match[2]?.trim() === '') {
    throw new ScimPatchError('invalidPath', `"${path.slice(0, 100)}" is not a valid attribute path`);
  }
  const [, attribute, valueFilter, subAttribute] = match;
  switch (attribute.toLowerCase()) {
    case 'username':
    case 'active':
    case 'externalid':
      if (valueFilter !== undefined || subAttribute !== undefined) {
        throw new ScimPatchError('invalidPath', `"${path}": ${attribute} is a simple attribute, with no value filter or sub-attributes`);
      }
      return SIMPLE_TARGETS[attribute.toLowerCase()];
    case 'name':
      if (valueFilter !== undefined) {
        throw new ScimPatchError('invalidPath', `"${path}": name is single-valued and takes no value filter`);
      }
      return nameTarget(subAttribute);
    default:
      return 'ignored';
  }
}

function nameTarget(subAttribute: string | undefined): PatchTarget {
  switch (subAttribute?.toLowerCase()) {
    case undefined:
      return 'name';
    case 'givenname':
      return 'name.givenName';
    case 'familyname':
      return 'name.familyName';
    default:
      return 'ignored'; // formatted, middleName, honorificPrefix…: not stored
  }
}
