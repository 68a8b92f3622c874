import { describe, expect, it } from 'vitest';
import { safeReturnPath } from './return-path';

describe('safeReturnPath', () => {
  it('keeps a path on this site, with its query and fragment', () => {
    expect(safeReturnPath('/')).toBe('/');
    expect(safeReturnPath('/files/recent?view=list#top')).toBe('/files/recent?view=list#top');
    expect(safeReturnPath('/a/../b')).toBe('/b');
  });

  it('refuses anything that could leave the site or split a header', () => {
    for (const returnTo of [
      '',
      'files',
      'https://evil.example/',
      '//evil.example',
      '/\\evil.example',
      '\\\\evil',
      '/ok\r\nLocation: x',
      '/a b',
      '/\t',
      `/${'a'.repeat(1024)}`,
    ]) {
      expect(safeReturnPath(returnTo), JSON.stringify(returnTo)).toBeNull();
    }
  });
});
