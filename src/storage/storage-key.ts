/** One path segment of a storage key: ids and generated names only, never `.` or `..`. */
const SEGMENT = /^[A-Za-z0-9_-][A-Za-z0-9._-]{0,127}$/;

/** Refuses keys that could escape the storage root or name a hidden staging area. */
export function assertValidStorageKey(key: string): void {
  const segments = key.split('/');
  if (segments.length === 0 || !segments.every((segment) => SEGMENT.test(segment) && segment !== '..')) {
    throw new Error(`invalid storage key "${key}"`);
  }
}
