import { KeyObject } from 'node:crypto';

export const DATA_KEY_BYTES = 32;

/**
 * A user's data key, unwrapped: only ever held in memory, as a KeyObject (native memory, never
 * serialised by accident), for the time one operation needs it.
 */
export class DataKey {
  constructor(
    /** A UUID: stored beside what the key encrypts, and inside every envelope it makes. */
    readonly id: string,
    readonly userId: string,
    readonly secret: KeyObject,
  ) {}
}

/** What a destruction removed: what a purge record or receipt carries as proof. */
export type DestroyedDataKey = { readonly id: string; readonly createdAt: Date; readonly destroyedAt: Date };

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
export const DATA_KEY_ID_BYTES = 16;

/** The 16 bytes of a data key id, as envelopes carry it. */
export function dataKeyIdBytes(id: string): Buffer {
  if (!UUID.test(id)) {
    throw new TypeError('a data key id is a lowercase UUID');
  }
  return Buffer.from(id.replaceAll('-', ''), 'hex');
}

export function dataKeyIdFromBytes(bytes: Uint8Array): string {
  const hex = Buffer.from(bytes).toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
}
