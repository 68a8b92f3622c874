import { DomainError, DomainErrorCode } from '../common/domain-error';

export const DEFAULT_PAGE_LIMIT = 50;
export const MAX_PAGE_LIMIT = 200;
const ID = /^[1-9][0-9]{0,14}$/;

/** Where a page of a newest-first list starts: below this id (the first page: above every id). */
export type PageRequest = { readonly beforeId: number; readonly limit: number };

/** `limit` and `cursor` as a client sent them, checked: a clear 400 for anything else. */
export function pageRequest(limit: string | undefined, cursor: string | undefined): PageRequest {
  return { beforeId: cursor === undefined ? Number.MAX_SAFE_INTEGER : idOfCursor(cursor), limit: pageLimit(limit) };
}

/** The opaque cursor of the page after the one ending with item `lastId`. */
export function cursorAfter(lastId: number): string {
  return Buffer.from(String(lastId), 'utf8').toString('base64url');
}

function idOfCursor(cursor: string): number {
  const decoded = Buffer.from(cursor, 'base64url').toString('utf8');
  // Decoding is lenient; only the exact form this API hands out is taken.
  if (!ID.test(decoded) || cursorAfter(Number(decoded)) !== cursor) {
    throw new DomainError(
      DomainErrorCode.InvalidInput,
      'cursor is not one this API returned: pass the nextCursor of the previous page as it is.',
    );
  }
  return Number(decoded);
}

function pageLimit(limit: string | undefined): number {
  if (limit === undefined) {
    return DEFAULT_PAGE_LIMIT;
  }
  const value = /^[0-9]{1,4}$/.test(limit) ? Number(limit) : Number.NaN;
  if (!(value >= 1 && value <= MAX_PAGE_LIMIT)) {
    throw new DomainError(DomainErrorCode.InvalidInput, `limit must be a whole number from 1 to ${MAX_PAGE_LIMIT}.`);
  }
  return value;
}
