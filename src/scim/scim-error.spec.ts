import { describe, expect, it } from 'vitest';
import { isScimPath, isScimType, SCIM_ERROR_SCHEMA, scimErrorBody } from './scim-error';

describe('the SCIM error format', () => {
  it('writes the Error resource with the status as a string, and scimType only where there is one', () => {
    expect(JSON.parse(scimErrorBody(409, 'taken', 'uniqueness'))).toEqual({
      schemas: [SCIM_ERROR_SCHEMA],
      status: '409',
      scimType: 'uniqueness',
      detail: 'taken',
    });
    expect(Object.keys(JSON.parse(scimErrorBody(408, 'too slow')))).toEqual(['schemas', 'status', 'detail']);
  });

  it('applies under /scim, whatever the case, and nowhere else', () => {
    expect(['/scim', '/scim/v2/Users', '/SCIM/v2/Users'].map(isScimPath)).toEqual([true, true, true]);
    expect(['/scimx', '/admin/v1/scim', '/'].map(isScimPath)).toEqual([false, false, false]);
  });

  it('knows the scimType values of RFC 7644 this service uses, and no others', () => {
    expect(isScimType('invalidFilter')).toBe(true);
    expect(isScimType('invalidfilter')).toBe(false);
    expect(isScimType(undefined)).toBe(false);
  });
});
