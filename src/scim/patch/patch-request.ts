import { describeValue, isJsonObject, memberOf } from './json-members';
import { ScimPatchError } from './scim-patch.error';

export const PATCH_OP_SCHEMA = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';
export const MAX_PATCH_OPERATIONS = 100;

export type PatchOperation = {
  /** Lower-cased: Entra sends "Add", "Replace", "Remove". */
  readonly op: 'add' | 'replace' | 'remove';
  /** Absent when the request gave none (or an empty one). */
  readonly path: string | undefined;
  readonly hasValue: boolean;
  readonly value: unknown;
};

/** Checks the PatchOp envelope (RFC 7644 §3.5.2) and returns its operations in order. */
export function readPatchOperations(body: unknown): PatchOperation[] {
  if (!isJsonObject(body)) {
    throw new ScimPatchError('invalidSyntax', `A PATCH request body must be a JSON object, not ${describeValue(body)}`);
  }
  const schemas = memberOf(body, 'schemas').value;
  const declaresPatchOp =
    Array.isArray(schemas) &&
    schemas.some((schema) => typeof schema === 'string' && schema.toLowerCase() === PATCH_OP_SCHEMA.toLowerCase());
  if (!declaresPatchOp) {
    throw new ScimPatchError('invalidSyntax', `A PATCH request must list "${PATCH_OP_SCHEMA}" in schemas`);
  }
  const operations = memberOf(body, 'Operations').value;
  // An empty list is a valid request that changes nothing (RFC 7644 §3.5.2 applies each operation in turn).
  if (!Array.isArray(operations)) {
    throw new ScimPatchError('invalidSyntax', 'A PATCH request must carry an Operations array');
  }
  if (operations.length > MAX_PATCH_OPERATIONS) {
    throw new ScimPatchError(
      'invalidSyntax',
      `A PATCH request may carry at most ${MAX_PATCH_OPERATIONS} operations, not ${operations.length}`,
    );
  }
  return operations.map((operation, index) => readOperation(operation, index + 1));
}

function readOperation(operation: unknown, position: number): PatchOperation {
  if (!isJsonObject(operation)) {
    throw new ScimPatchError('invalidSyntax', `Operation ${position} must be a JSON object, not ${describeValue(operation)}`);
  }
  const op = memberOf(operation, 'op').value;
  const normalizedOp = typeof op === 'string' ? op.toLowerCase() : undefined;
  if (normalizedOp !== 'add' && normalizedOp !== 'replace' && normalizedOp !== 'remove') {
    throw new ScimPatchError('invalidSyntax', `Operation ${position}: op must be "add", "replace" or "remove", not ${describeValue(op)}`);
  }
  const path = memberOf(operation, 'path').value;
  if (path !== undefined && path !== null && typeof path !== 'string') {
    throw new ScimPatchError('invalidPath', `Operation ${position}: path must be a string, not ${describeValue(path)}`);
  }
  const value = memberOf(operation, 'value');
  return { op: normalizedOp, path: path === null || path === '' ? undefined : path, hasValue: value.found, value: value.value };
}
