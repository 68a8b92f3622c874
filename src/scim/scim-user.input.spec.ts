import { describe, expect, it } from 'vitest';
import { readNewUser, readReplacement } from './scim-user.input';

const CORE = 'urn:ietf:params:scim:schemas:core:2.0:User';

describe('readNewUser', () => {
  it("reads Okta's create body, ignoring what is not kept", () => {
    expect(
      readNewUser({
        schemas: [CORE],
        userName: 'Test.User@okta.local',
        name: { givenName: 'Test', familyName: 'User' },
        emails: [{ primary: true, value: 'test.user@okta.local', type: 'work' }],
        displayName: 'Test User',
        locale: 'en-US',
        externalId: '00ujl29u0le5T6Aj10h7',
        groups: [],
        password: '1mz050nq',
        active: true,
      }),
    ).toEqual({ userName: 'Test.User@okta.local', givenName: 'Test', familyName: 'User', email: 'test.user@okta.local', externalId: '00ujl29u0le5T6Aj10h7', active: true });
  });

  it('reads attribute names in any case, the primary email, and string booleans', () => {
    expect(
      readNewUser({ SCHEMAS: [CORE.toUpperCase()], USERNAME: 'a@b.co', Name: { GivenName: 'A' }, emails: [{ value: 'home@b.co', type: 'home' }, { value: 'p@b.co', primary: true }], Active: 'False' }),
    ).toEqual({ userName: 'a@b.co', givenName: 'A', familyName: null, email: 'p@b.co', externalId: null, active: false });
  });

  it.each<[string, unknown, string]>([
    ['not an object', 'x', 'invalidSyntax'],
    ['without the User schema', { schemas: ['urn:x'], userName: 'a' }, 'invalidSyntax'],
    ['without userName', { schemas: [CORE] }, 'invalidValue'],
    ['with a blank userName', { schemas: [CORE], userName: '  ' }, 'invalidValue'],
    ['with a too long name', { schemas: [CORE], userName: 'a', name: { givenName: 'x'.repeat(256) } }, 'invalidValue'],
    ['with emails not an array', { schemas: [CORE], userName: 'a', emails: 'a@b.co' }, 'invalidValue'],
    ['with active "yes"', { schemas: [CORE], userName: 'a', active: 'yes' }, 'invalidValue'],
  ])('refuses a body %s', (_case, body, scimType) => {
    expect(() => readNewUser(body)).toThrow(expect.objectContaining({ scimType }));
  });
});

describe('readReplacement', () => {
  it('clears names absent from a PUT and leaves active alone when absent', () => {
    expect(readReplacement({ schemas: [CORE], userName: 'a' })).toEqual({ userName: 'a', givenName: null, familyName: null, active: undefined });
  });
});
