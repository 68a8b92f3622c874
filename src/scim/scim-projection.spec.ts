import { describe, expect, it } from 'vitest';
import { project, readProjection } from './scim-projection';

const user = {
  schemas: ['s'],
  id: '1',
  userName: 'u',
  name: { givenName: 'G', familyName: 'F' },
  emails: [{ value: 'e', type: 'work' }],
  meta: { version: 'W/"1"' },
};

describe('project', () => {
  it('returns everything without parameters', () => {
    expect(project(user, readProjection(undefined, undefined))).toBe(user);
  });

  it('keeps id and schemas and the asked-for attributes, dotted and URN-qualified, in any case', () => {
    expect(
      project(user, readProjection('USERNAME,urn:ietf:params:scim:schemas:core:2.0:User:name.familyName,emails.value', undefined)),
    ).toEqual({
      schemas: ['s'],
      id: '1',
      userName: 'u',
      name: { familyName: 'F' },
      emails: [{ value: 'e' }],
    });
  });

  it('drops excluded attributes but never id or schemas', () => {
    expect(project(user, readProjection(undefined, 'id,schemas,meta,name.givenName'))).toEqual({
      schemas: ['s'],
      id: '1',
      userName: 'u',
      name: { familyName: 'F' },
      emails: user.emails,
    });
  });

  it('refuses a parameter given twice', () => {
    expect(() => readProjection(['a', 'b'], undefined)).toThrow(/comma-separated/);
  });
});
