import { describe, expect, it } from 'vitest';
import { describeError } from '../common/errors/error-response';
import { ScimFilterError } from './filter';
import { ScimPatchError } from './patch';
import { isScimPath, isScimType, SCIM_ERROR_FORMAT, SCIM_ERROR_SCHEMA, SCIM_MEDIA_TYPE, scimErrorBody, ScimException } from './scim-error';

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

  it('is the registered format for /scim paths: the SCIM media type, the kind as scimType, its own 401 challenge', () => {
    const rendered = SCIM_ERROR_FORMAT.render({
      status: 401,
      code: 'unauthorized',
      detail: 'Authentication failed.',
      requestId: 'req-1',
      exceptionHeaders: { 'WWW-Authenticate': 'Signature' },
    });
    expect(rendered.contentType).toBe(SCIM_MEDIA_TYPE);
    expect(rendered.headers).toEqual({ 'WWW-Authenticate': 'Basic realm="SCIM", charset="UTF-8"' });
    expect(JSON.parse(rendered.body)).toEqual({ schemas: [SCIM_ERROR_SCHEMA], status: '401', detail: 'Authentication failed.' });
    const conflict = SCIM_ERROR_FORMAT.render({
      status: 409,
      code: 'user_name_taken',
      detail: 'taken',
      kind: 'uniqueness',
      exceptionHeaders: {},
    });
    expect(conflict.headers).toEqual({});
    expect(JSON.parse(conflict.body)).toMatchObject({ status: '409', scimType: 'uniqueness' });
    expect([SCIM_ERROR_FORMAT.matches('/scim/v2/Users'), SCIM_ERROR_FORMAT.matches('/admin/v1/users')]).toEqual([true, false]);
  });

  it('gives SCIM-only errors a kind the error filter maps to 400 and the format to their scimType', () => {
    expect(new ScimException(400, 'filter must be given once.', 'invalidFilter').scimType).toBe('invalidFilter');
    expect(new ScimException(501, 'Not implemented').scimType).toBeUndefined();
    expect(describeError(new ScimFilterError('Invalid filter'))).toMatchObject({ status: 400, kind: 'invalidFilter', unexpected: false });
    expect(describeError(new ScimPatchError('noTarget', 'No such value'))).toMatchObject({
      status: 400,
      kind: 'noTarget',
      detail: 'No such value',
    });
    // A deliberate 501 is not a fault to log.
    expect(describeError(new ScimException(501, 'Not implemented'))).toMatchObject({ status: 501, unexpected: false });
  });
});
