import { describe, expect, it } from 'vitest';
import { DomainErrorCode } from '../common/domain-error';
import { cursorAfter, DEFAULT_PAGE_LIMIT, MAX_PAGE_LIMIT, pageRequest } from './history-cursor';

describe('history page cursors', () => {
  it('starts above every id with the default limit, and continues below the id a cursor names', () => {
    expect(pageRequest(undefined, undefined)).toEqual({ beforeId: Number.MAX_SAFE_INTEGER, limit: DEFAULT_PAGE_LIMIT });
    expect(pageRequest('1', cursorAfter(42))).toEqual({ beforeId: 42, limit: 1 });
    expect(pageRequest(String(MAX_PAGE_LIMIT), undefined).limit).toBe(MAX_PAGE_LIMIT);
  });

  it('hands out opaque cursors (base64url, no padding)', () => {
    expect(cursorAfter(123456)).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(cursorAfter(123456)).not.toContain('123456');
  });

  it.each([
    ['0', undefined],
    [String(MAX_PAGE_LIMIT + 1), undefined],
    ['1.5', undefined],
    ['', undefined],
    [' 5', undefined],
    ['00001', undefined],
    [undefined, ''],
    [undefined, 'MA'], // "0"
    [undefined, 'LTE'], // "-1"
    [undefined, 'MDEy'], // "012"
    [undefined, `${cursorAfter(12)}=`],
    [undefined, '!!!'],
  ])('refuses limit %j / cursor %j as invalid input', (limit, cursor) => {
    expect(() => pageRequest(limit, cursor)).toThrow(expect.objectContaining({ code: DomainErrorCode.InvalidInput }) as Error);
  });
});
