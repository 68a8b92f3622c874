import { describe, expect, it } from 'vitest';
import { parseBasicAuthorization } from './basic-credentials';

const basic = (value: string): string => `Basic ${Buffer.from(value, 'utf8').toString('base64')}`;

describe('parseBasicAuthorization', () => {
  it('splits user-id and password at the first colon, with the scheme in any case', () => {
    expect(parseBasicAuthorization(basic('scim_abc:s3cret'))).toEqual({ username: 'scim_abc', password: 's3cret' });
    expect(parseBasicAuthorization(basic('user:pass:with:colons'))).toEqual({ username: 'user', password: 'pass:with:colons' });
    expect(parseBasicAuthorization(`bAsIc ${Buffer.from('u:p').toString('base64')}`)).toEqual({ username: 'u', password: 'p' });
    expect(parseBasicAuthorization(basic('jürgen:pässword'))).toEqual({ username: 'jürgen', password: 'pässword' });
  });

  it('refuses anything else', () => {
    for (const header of [
      undefined,
      '',
      'Basic',
      'Basic ',
      'non-token',
      'Bearer abc.def.ghi',
      'Basic %%%not-base64%%%',
      basic('justausername'),
      basic(':password'),
      basic('username:'),
      `Basic ${Buffer.from('u:p').toString('base64')} extra`,
      `Digest ${Buffer.from('u:p').toString('base64')}`,
    ]) {
      expect(parseBasicAuthorization(header), String(header)).toBeNull();
    }
  });
});
