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
    ).toEqual({
      userName: 'Test.User@okta.local',
      givenName: 'Test',
      familyName: 'User',
      email: 'test.user@okta.local',
      externalId: '00ujl29u0le5T6Aj10h7',
      active: true,
    });
  });

  it('reads attribute names in any case, the primary email, and string booleans', () => {
    expect(
      readNewUser({
        SCHEMAS: [CORE.toUpperCase()],
        USERNAME: 'a@b.co',
        Name: { GivenName: 'A' },
        emails: [
          { value: 'home@b.co', type: 'home' },
          { value: 'p@b.co', primary: true },
        ],
        Active: 'False',
      }),
    ).toEqual({ userName: 'a@b.co', givenName: 'A', familyName: null, email: 'p@b.co', externalId: null, active: false });
  });

  it.each<[string, unknown, string]>([
    ['not an object', 'x', 'invalidSyntax'],
    ['without the User schema', { schemas: ['urn:x'], userName: 'a' }, 'invalidSyntax'],
    ['without userName', { schemas: [CORE], active: true }, 'invalidValue'],
    ['with a blank userName', { schemas: [CORE], userName: '  ', active: true }, 'invalidValue'],
    ['with a too long name', { schemas: [CORE], userName: 'a', active: true, name: { givenName: 'x'.repeat(256) } }, 'invalidValue'],
    ['with emails not an array', { schemas: [CORE], userName: 'a', active: true, emails: 'a@b.co' }, 'invalidValue'],
    ['with active "yes"', { schemas: [CORE], userName: 'a', active: 'yes' }, 'invalidValue'],
  ])('refuses a body %s', (_case, body, scimType) => {
    expect(() => readNewUser(body)).toThrow(expect.objectContaining({ scimType }));
  });
});

describe('active, which /Schemas declares required', () => {
  it.each([
    ['POST', readNewUser],
    ['PUT', readReplacement],
  ])('must be in a %s body, with a detail that says what false does', (_method, read) => {
    expect(() => read({ schemas: [CORE], userName: 'a' })).toThrow(
      expect.objectContaining({
        scimType: 'invalidValue',
        message:
          'active is required: send "active": true for a user who may use the service, or false to deactivate them (deactivation permanently deletes every file and message of the user).',
      }),
    );
    expect(() => read({ schemas: [CORE], userName: 'a', active: null })).toThrow(expect.objectContaining({ scimType: 'invalidValue' }));
  });
});

describe('readReplacement', () => {
  it('clears names absent from a PUT and leaves externalId alone when absent', () => {
    expect(readReplacement({ schemas: [CORE], userName: 'a', active: false })).toEqual({
      userName: 'a',
      givenName: null,
      familyName: null,
      externalId: undefined,
      active: false,
    });
  });

  it('reads externalId when sent, null or empty asking to remove it', () => {
    expect(readReplacement({ schemas: [CORE], userName: 'a', active: true, externalId: '00u1' })).toMatchObject({ externalId: '00u1' });
    expect(readReplacement({ schemas: [CORE], userName: 'a', active: true, externalId: null })).toMatchObject({ externalId: null });
    expect(readReplacement({ schemas: [CORE], userName: 'a', active: true, EXTERNALID: '' })).toMatchObject({ externalId: null });
  });
});
