/** One path segment of a storage key: ids and generated names only, never `.` or `..`. */
const SEGMENT = /^[A-Za-z0-9_-][A-Za-z0-9._-]{0,127}$/;

/** Whether `key` is one a storage key may be (as assertValidStorageKey, without throwing). */
export function isStorageKey(key: string): boolean {
  return key.split('/').every((segment) => SEGMENT.test(segment) && segment !== '..');
}

/** Refuses keys that could escape the storage root or name a hidden staging area. */
export function assertValidStorageKey(key: string): void {
  if (!isStorageKey(key)) {
    throw new Error(`invalid storage key "${key}"`);
  }
}
