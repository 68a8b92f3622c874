export { MAX_PATCH_PATH_LENGTH } from './patch-path';
export { MAX_PATCH_OPERATIONS, PATCH_OP_SCHEMA } from './patch-request';
export { ScimPatchError } from './scim-patch.error';
export type { ScimPatchErrorType } from './scim-patch.error';
export { mapUserPatch } from './user-patch';
export type { UserPatch } from './user-patch';
