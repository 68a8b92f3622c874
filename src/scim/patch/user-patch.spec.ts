import { describe, expect, it } from 'vitest';
import { MAX_PATCH_OPERATIONS, PATCH_OP_SCHEMA } from './patch-request';
import { ScimPatchError, ScimPatchErrorType } from './scim-patch.error';
import { mapUserPatch } from './user-patch';

const body = (...operations: unknown[]): unknown => ({ schemas: [PATCH_OP_SCHEMA], Operations: operations });

function patchError(request: unknown): ScimPatchError {
  try {
    mapUserPatch(request);
  } catch (error) {
    expect(error).toBeInstanceOf(ScimPatchError);
    return error as ScimPatchError;
  }
  throw new Error(`expected ${JSON.stringify(request)} to be rejected`);
}

describe('mapUserPatch', () => {
  // The PATCH table of docs/scim-libraries.md, row by row.
  describe('the cases clients send', () => {
    it.each<[string, unknown[], object]>([
      ['Okta: replace, no path, {active:false}', [{ op: 'replace', value: { active: false } }], { active: false }],
      ['Okta: replace path "active" false', [{ op: 'replace', path: 'active', value: false }], { active: false }],
      [
        'Okta: replace several attributes without a path, merging name per sub-attribute',
        [{ op: 'replace', value: { userName: 'bj2', name: { givenName: 'B' } } }],
        { userName: 'bj2', givenName: 'B' },
      ],
      ['no-path value with the dotted key "name.givenName"', [{ op: 'replace', value: { 'name.givenName': 'B' } }], { givenName: 'B' }],
      ['Entra: "Replace" (capitalised op)', [{ op: 'Replace', path: 'active', value: false }], { active: false }],
      ['Entra: value "False" (string boolean)', [{ op: 'Replace', path: 'active', value: 'False' }], { active: false }],
      [
        'Entra: Replace emails[type eq "work"].value (ignored)',
        [{ op: 'Replace', path: 'emails[type eq "work"].value', value: 'new@x.com' }],
        {},
      ],
      ['Entra: Add emails[type eq "work"].value (ignored)', [{ op: 'Add', path: 'emails[type eq "work"].value', value: 'w@x.com' }], {}],
      ['Entra: Add name.givenName', [{ op: 'Add', path: 'name.givenName', value: 'Babs' }], { givenName: 'Babs' }],
      [
        'Entra: Replace an enterprise extension URN path (ignored)',
        [{ op: 'Replace', path: 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber', value: '701984' }],
        {},
      ],
      ['remove name.givenName', [{ op: 'remove', path: 'name.givenName' }], { givenName: null }],
      ['remove emails[type eq "work"] (ignored)', [{ op: 'remove', path: 'emails[type eq "work"]' }], {}],
    ])('%s', (_case, operations, expected) => {
      expect(mapUserPatch(body(...operations))).toStrictEqual(expected);
    });

    it.each<[string, ScimPatchErrorType, unknown[]]>([
      ['op "move"', 'invalidSyntax', [{ op: 'move', path: 'active', value: false }]],
      ['remove without path', 'noTarget', [{ op: 'remove' }]],
      ['replace without a path and a non-object value', 'invalidValue', [{ op: 'replace', value: false }]],
    ])('rejects %s', (_case, scimType, operations) => {
      expect(patchError(body(...operations)).scimType).toBe(scimType);
    });
  });

  describe('active', () => {
    it.each([
      [true, true],
      [false, false],
      ['True', true],
      ['TRUE', true],
      ['true', true],
      ['False', false],
      ['fAlSe', false],
    ])('reads %j as %s', (value, active) => {
      expect(mapUserPatch(body({ op: 'replace', path: 'active', value }))).toStrictEqual({ active });
      expect(mapUserPatch(body({ op: 'replace', value: { active: value } }))).toStrictEqual({ active });
    });

    it.each([['yes'], [1], [0], [''], [{}], [[true]]])('rejects %j', (value) => {
      const error = patchError(body({ op: 'replace', path: 'active', value }));
      expect(error.scimType).toBe('invalidValue');
      expect(error.detail).toMatch(/^active must be true or false, not /);
    });

    // RFC 7644 §3.5.2: a required attribute that would become unassigned is a mutability error.
    it.each([
      ['remove', { op: 'remove', path: 'active' }],
      ['replace with null', { op: 'replace', path: 'active', value: null }],
      ['path-less null', { op: 'replace', value: { active: null } }],
    ])('never lets %s unassign it (it would deactivate, and so purge, the user)', (_case, operation) => {
      const error = patchError(body(operation));
      expect(error.scimType).toBe('mutability');
      expect(error.detail).toMatch(
        /^active is required and cannot be removed: replace it with true or false \(false deactivates the user and permanently deletes every file and message/,
      );
    });
  });

  describe('userName and names', () => {
    it('sets userName', () => {
      expect(mapUserPatch(body({ op: 'replace', path: 'userName', value: 'New.Name@x.com' }))).toStrictEqual({
        userName: 'New.Name@x.com',
      });
    });

    it.each([[''], ['   '], [5], [{}]])('rejects the userName %j', (value) => {
      expect(patchError(body({ op: 'replace', path: 'userName', value })).scimType).toBe('invalidValue');
    });

    it('sets each name part by its path', () => {
      expect(
        mapUserPatch(body({ op: 'add', path: 'name.givenName', value: 'Ann' }, { op: 'replace', path: 'name.familyName', value: 'Lee' })),
      ).toStrictEqual({ givenName: 'Ann', familyName: 'Lee' });
    });

    it('clears a name part set to null', () => {
      expect(mapUserPatch(body({ op: 'replace', path: 'name.familyName', value: null }))).toStrictEqual({ familyName: null });
    });

    it('merges a name object on the path "name", ignoring parts we do not store', () => {
      expect(
        mapUserPatch(body({ op: 'replace', path: 'name', value: { familyName: 'Lee', formatted: 'Ann Lee', middleName: 'X' } })),
      ).toStrictEqual({
        familyName: 'Lee',
      });
    });

    it('clears both parts when name is set to null or removed', () => {
      expect(mapUserPatch(body({ op: 'replace', path: 'name', value: null }))).toStrictEqual({ givenName: null, familyName: null });
      expect(mapUserPatch(body({ op: 'remove', path: 'name' }))).toStrictEqual({ givenName: null, familyName: null });
      expect(mapUserPatch(body({ op: 'remove', path: 'name.familyName' }))).toStrictEqual({ familyName: null });
    });

    it.each<[string, unknown]>([
      ['name.givenName', 5],
      ['name.familyName', { value: 'x' }],
      ['name.givenName', ['x']],
      ['name', 'Ann Lee'],
      ['name', ['Ann']],
    ])('rejects %s = %j', (path, value) => {
      expect(patchError(body({ op: 'replace', path, value })).scimType).toBe('invalidValue');
    });

    it('rejects a wrong type inside a name object', () => {
      expect(patchError(body({ op: 'replace', value: { name: { givenName: true } } })).detail).toBe(
        'name.givenName must be a string or null, not true',
      );
    });

    it('never removes userName or active, which are required (mutability)', () => {
      expect(patchError(body({ op: 'remove', path: 'userName' })).scimType).toBe('mutability');
      expect(patchError(body({ op: 'replace', path: 'userName', value: null })).scimType).toBe('mutability');
      expect(patchError(body({ op: 'remove', path: 'active' })).scimType).toBe('mutability');
    });

    it('refuses a name part longer than the column', () => {
      expect(patchError(body({ op: 'replace', path: 'name.givenName', value: 'x'.repeat(256) })).detail).toBe(
        'name.givenName is longer than 255 characters',
      );
      expect(mapUserPatch(body({ op: 'replace', path: 'name.givenName', value: 'x'.repeat(255) }))).toStrictEqual({
        givenName: 'x'.repeat(255),
      });
    });
  });

  describe('externalId', () => {
    it.each([
      ['add with a path', { op: 'add', path: 'externalId', value: '00u1' }],
      ['replace with a path', { op: 'replace', path: 'externalId', value: '00u1' }],
      ['Entra: Replace with the URN path', { op: 'Replace', path: 'urn:ietf:params:scim:schemas:core:2.0:User:externalId', value: '00u1' }],
      ['path-less add', { op: 'add', value: { externalId: '00u1' } }],
    ])('reads %s (the users domain sets it once, while the user has none)', (_case, operation) => {
      expect(mapUserPatch(body(operation))).toStrictEqual({ externalId: '00u1' });
    });

    it('reads a removal, or an empty or null value, as a request to remove it', () => {
      expect(mapUserPatch(body({ op: 'remove', path: 'externalId' }))).toStrictEqual({ externalId: null });
      expect(mapUserPatch(body({ op: 'replace', path: 'externalId', value: '' }))).toStrictEqual({ externalId: null });
      expect(mapUserPatch(body({ op: 'replace', path: 'externalId', value: null }))).toStrictEqual({ externalId: null });
    });

    it.each<[unknown, string]>([
      [5, 'externalId must be a string, not 5'],
      [{ value: 'x' }, 'externalId must be a string, not an object'],
      ['x'.repeat(256), 'externalId is longer than 255 characters'],
    ])('rejects %j', (value, detail) => {
      const error = patchError(body({ op: 'replace', path: 'externalId', value }));
      expect(error).toMatchObject({ scimType: 'invalidValue', detail });
    });

    it('takes no value filter or sub-attribute', () => {
      expect(patchError(body({ op: 'replace', path: 'externalId.value', value: 'x' })).scimType).toBe('invalidPath');
    });
  });

  describe('paths', () => {
    it.each([
      ['urn:ietf:params:scim:schemas:core:2.0:User:name.givenName', { givenName: 'B' }],
      ['URN:IETF:PARAMS:SCIM:SCHEMAS:CORE:2.0:USER:NAME.GIVENNAME', { givenName: 'B' }],
      ['NAME.GIVENNAME', { givenName: 'B' }],
      ['Name.GivenName', { givenName: 'B' }],
      ['urn:ietf:params:scim:schemas:core:2.0:User:userName', { userName: 'B' }],
      ['USERNAME', { userName: 'B' }],
    ])('reads %s in any letter case, with or without the core schema URN', (path, expected) => {
      expect(mapUserPatch(body({ op: 'replace', path, value: 'B' }))).toStrictEqual(expected);
    });

    it('reads URN-qualified and dotted keys in a path-less value, as Entra sends them', () => {
      expect(
        mapUserPatch(
          body({
            op: 'replace',
            value: {
              'urn:ietf:params:scim:schemas:core:2.0:User:name.familyName': 'Lee',
              'NAME.givenName': 'Ann',
              'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber': '701984',
              'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User': { department: 'R&D' },
              Active: 'True',
            },
          }),
        ),
      ).toStrictEqual({ familyName: 'Lee', givenName: 'Ann', active: true });
    });

    it('reads attributes nested under the core schema URN', () => {
      expect(
        mapUserPatch(
          body({ op: 'replace', value: { 'urn:ietf:params:scim:schemas:core:2.0:User': { active: false, name: { givenName: 'B' } } } }),
        ),
      ).toStrictEqual({
        active: false,
        givenName: 'B',
      });
    });

    it.each([
      'displayName',
      'title',
      'password',
      'locale',
      'emails',
      'emails[type eq "work"]',
      'emails[type eq "work"].primary',
      'phoneNumbers[type eq "mobile"].value',
      'addresses[type eq "work"].postalCode',
      'name.formatted',
      'name.middleName',
      'meta',
      'id',
      'groups',
      'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value',
    ])('accepts and ignores %s', (path) => {
      expect(mapUserPatch(body({ op: 'replace', path, value: 'x' }))).toStrictEqual({});
      expect(mapUserPatch(body({ op: 'remove', path }))).toStrictEqual({});
    });

    it('ignores attributes we do not store in a path-less value', () => {
      expect(
        mapUserPatch(
          body({
            op: 'replace',
            value: { displayName: 'X', emails: [{ value: 'a@x.com', type: 'work', primary: true }], password: 'secret', title: 'CTO' },
          }),
        ),
      ).toStrictEqual({});
    });

    it.each([
      'name..givenName',
      'name.givenName.extra',
      'emails[type eq "work"',
      'emails[]',
      'emails[ ]',
      '1abc',
      'user name',
      'userName.value',
      'active[value eq true]',
      'name[givenName eq "x"]',
      '.active',
      'active.',
    ])('rejects the path %j', (path) => {
      expect(patchError(body({ op: 'replace', path, value: 'x' })).scimType).toBe('invalidPath');
    });

    it('rejects an overlong path', () => {
      expect(patchError(body({ op: 'replace', path: `emails[value eq "${'x'.repeat(1000)}"]`, value: 'x' })).scimType).toBe('invalidPath');
    });

    it.each([[5], [true], [{}], [['active']]])('rejects the non-string path %j', (path) => {
      expect(patchError(body({ op: 'replace', path, value: false })).scimType).toBe('invalidPath');
    });

    it('treats a null or empty path as no path', () => {
      expect(mapUserPatch(body({ op: 'replace', path: null, value: { active: false } }))).toStrictEqual({ active: false });
      expect(mapUserPatch(body({ op: 'replace', path: '', value: { active: false } }))).toStrictEqual({ active: false });
      expect(patchError(body({ op: 'remove', path: '' })).scimType).toBe('noTarget');
    });
  });

  describe('several operations', () => {
    it('applies them in order, so later ones win', () => {
      expect(
        mapUserPatch(
          body(
            { op: 'replace', path: 'active', value: false },
            { op: 'replace', value: { name: { givenName: 'A', familyName: 'B' } } },
            { op: 'remove', path: 'name.givenName' },
            { op: 'add', path: 'active', value: 'True' },
            { op: 'replace', value: { 'name.familyName': 'C' } },
          ),
        ),
      ).toStrictEqual({ active: true, givenName: null, familyName: 'C' });
    });

    it('lets a later key in the same value win', () => {
      expect(mapUserPatch(body({ op: 'replace', value: { name: { givenName: 'A' }, 'name.givenName': 'B' } }))).toStrictEqual({
        givenName: 'B',
      });
    });

    it(`accepts up to ${MAX_PATCH_OPERATIONS} operations`, () => {
      const operations = Array.from({ length: MAX_PATCH_OPERATIONS }, (_, i) => ({ op: 'replace', path: 'active', value: i % 2 === 0 }));
      expect(mapUserPatch(body(...operations))).toStrictEqual({ active: false });
      expect(patchError(body(...operations, { op: 'replace', path: 'active', value: true })).scimType).toBe('invalidSyntax');
    });
  });

  describe('the request envelope', () => {
    it.each<[string, unknown]>([
      ['null', null],
      ['an array', [{ op: 'replace', value: { active: false } }]],
      ['a string', '{"schemas":[]}'],
      ['a number', 5],
      ['undefined', undefined],
    ])('rejects a body that is %s', (_case, request) => {
      const error = patchError(request);
      expect(error.scimType).toBe('invalidSyntax');
      expect(error.detail).toMatch(/^A PATCH request body must be a JSON object/);
    });

    it.each<[string, unknown]>([
      ['missing', undefined],
      ['empty', []],
      ['another message schema', ['urn:ietf:params:scim:schemas:core:2.0:User']],
      ['a string, not an array', PATCH_OP_SCHEMA],
    ])('rejects schemas that are %s', (_case, schemas) => {
      const error = patchError({ schemas, Operations: [{ op: 'replace', value: { active: false } }] });
      expect(error.scimType).toBe('invalidSyntax');
      expect(error.detail).toContain(PATCH_OP_SCHEMA);
    });

    it('reads the message attributes in any letter case', () => {
      expect(
        mapUserPatch({ SCHEMAS: [PATCH_OP_SCHEMA.toUpperCase()], operations: [{ OP: 'REPLACE', Path: 'Active', VALUE: 'false' }] }),
      ).toStrictEqual({ active: false });
    });

    it.each<[string, unknown]>([
      ['missing', undefined],
      ['not an array', { op: 'replace', value: { active: false } }],
    ])('rejects Operations that are %s', (_case, operations) => {
      const error = patchError({ schemas: [PATCH_OP_SCHEMA], Operations: operations });
      expect(error.scimType).toBe('invalidSyntax');
      expect(error.detail).toBe('A PATCH request must carry an Operations array');
    });

    it('reads an empty Operations list as a request that changes nothing', () => {
      expect(mapUserPatch({ schemas: [PATCH_OP_SCHEMA], Operations: [] })).toStrictEqual({});
    });

    it.each<[string, unknown]>([
      ['null', null],
      ['a string', 'replace'],
      ['an array', [{ op: 'replace' }]],
    ])('rejects an operation that is %s', (_case, operation) => {
      expect(patchError(body(operation)).detail).toMatch(/^Operation 1 must be a JSON object/);
    });

    it.each([['move'], ['copy'], ['test'], [''], [undefined], [5], [null]])('rejects op %j', (op) => {
      const error = patchError(body({ op, path: 'active', value: false }));
      expect(error.scimType).toBe('invalidSyntax');
      expect(error.detail).toMatch(/^Operation 1: op must be "add", "replace" or "remove"/);
    });

    it('says which operation is wrong', () => {
      expect(patchError(body({ op: 'replace', path: 'active', value: true }, { op: 'delete' })).detail).toMatch(/^Operation 2: /);
    });

    it.each(['add', 'replace'])('rejects %s with a path but no value', (op) => {
      expect(patchError(body({ op, path: 'name.givenName' })).scimType).toBe('invalidValue');
    });

    it.each([[null], ['x'], [['active']], [undefined]])('rejects a path-less replace whose value is %j', (value) => {
      expect(patchError(body({ op: 'add', value })).scimType).toBe('invalidValue');
    });

    it('does not echo long values in its messages', () => {
      expect(patchError(body({ op: 'replace', path: 'active', value: 'x'.repeat(500) })).detail.length).toBeLessThan(100);
    });
  });

  describe('prototype keys', () => {
    it('never assigns through __proto__, constructor or prototype', () => {
      // JSON.parse, as a body parser does, makes "__proto__" an own key (an object literal would not).
      const request: unknown = JSON.parse(`{
        "schemas": ["${PATCH_OP_SCHEMA}"],
        "Operations": [
          {"op": "replace", "value": {
            "constructor": {"prototype": {"polluted": true}},
            "prototype": {"polluted": true},
            "name": {"__proto__": {"polluted": true, "givenName": "X"}, "constructor": "X", "givenName": "A"}
          }},
          {"op": "replace", "path": "constructor.prototype", "value": {"polluted": true}},
          {"op": "replace", "path": "name", "value": {"__proto__": {"familyName": "X"}}}
        ]
      }`);
      const patch = mapUserPatch(request);
      expect(patch).toStrictEqual({ givenName: 'A' });
      expect(Object.getPrototypeOf(patch)).toBe(Object.prototype);
      expect(({} as Record<string, unknown>).polluted).toBeUndefined();
      expect(({} as Record<string, unknown>).familyName).toBeUndefined();
    });

    it('rejects __proto__ as an attribute name', () => {
      const request: unknown = JSON.parse(
        `{"schemas":["${PATCH_OP_SCHEMA}"],"Operations":[{"op":"replace","value":{"__proto__":{"active":false}}}]}`,
      );
      expect(patchError(request).scimType).toBe('invalidPath');
      expect(({} as Record<string, unknown>).active).toBeUndefined();
    });

    it('does not find operations or values on the prototype chain', () => {
      const inherited = Object.create({ schemas: [PATCH_OP_SCHEMA], Operations: [{ op: 'replace', value: { active: false } }] }) as object;
      expect(patchError(inherited).scimType).toBe('invalidSyntax');
    });
  });

  it('gives errors an RFC 7644 scimType and a detail', () => {
    const error = patchError(body({ op: 'remove' }));
    expect(error).toMatchObject({
      scimType: 'noTarget',
      detail: 'A remove operation needs a path',
      message: 'A remove operation needs a path',
    });
  });
});
