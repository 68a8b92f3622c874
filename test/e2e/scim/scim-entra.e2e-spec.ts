import { INestApplication } from '@nestjs/common';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CORE_USER, LIST_RESPONSE, okta, patchOp, scimTenant } from '../../support/scim-client';
import { createTestApp } from '../../support/test-app';

/** Microsoft Entra's provisioning client and validator (contract §4, E1–E9). */
describe('Entra variants', () => {
  let app: INestApplication;
  let scim: ReturnType<typeof okta>;
  let userId: string;

  beforeAll(async () => {
    app = await createTestApp();
    scim = okta(app, await scimTenant(app, 'entra'));
    userId = (
      await scim
        .post('/Users', {
          schemas: [CORE_USER, 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User'],
          externalId: 'entra-0001',
          userName: 'Ellen.Entra@contoso.com',
          active: true,
          displayName: 'Ellen Entra',
          emails: [{ primary: true, type: 'work', value: 'ellen.entra@contoso.com' }],
          name: { formatted: 'Ellen Entra', familyName: 'Entra', givenName: 'Ellen' },
          'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User': { employeeNumber: '701984', department: 'Ops' },
        })
        .expect(201)
    ).body.id as string;
  });

  afterAll(async () => {
    await app.close();
  });

  it('E1/E2: capitalised ops and string booleans', async () => {
    expect((await scim.patch(`/Users/${userId}`, patchOp({ op: 'Replace', path: 'active', value: 'False' })).expect(200)).body.active).toBe(
      false,
    );
    expect((await scim.patch(`/Users/${userId}`, patchOp({ op: 'Replace', path: 'active', value: 'True' })).expect(200)).body.active).toBe(
      true,
    );
    const names = await scim
      .patch(
        `/Users/${userId}`,
        patchOp({ op: 'Add', path: 'name.givenName', value: 'Ellen' }, { op: 'Replace', path: 'name.familyName', value: 'Entra' }),
      )
      .expect(200);
    expect(names.body.name).toMatchObject({ givenName: 'Ellen', familyName: 'Entra' });
  });

  it('E4: path-less replace with dotted and URN-qualified keys merges names', async () => {
    const response = await scim
      .patch(
        `/Users/${userId}`,
        patchOp({
          op: 'replace',
          value: { 'name.givenName': 'Elle', 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber': '1' },
        }),
      )
      .expect(200);
    expect(response.body.name).toMatchObject({ givenName: 'Elle', familyName: 'Entra' });
  });

  it('E5: value-filtered paths on attributes not kept are accepted and change nothing', async () => {
    const before = (await scim.get(`/Users/${userId}`).expect(200)).body;
    await scim
      .patch(
        `/Users/${userId}`,
        patchOp(
          { op: 'Replace', path: 'emails[type eq "work"].value', value: 'other@contoso.com' },
          { op: 'Add', path: 'phoneNumbers[type eq "mobile"].value', value: '+1 555' },
        ),
      )
      .expect(200);
    expect((await scim.get(`/Users/${userId}`).expect(200)).body.emails).toEqual(before.emails);
  });

  it('E6: queries by userName, externalId and work email, without startIndex or count', async () => {
    for (const filter of [
      'userName eq "ellen.entra@contoso.com"',
      'externalId eq "entra-0001"',
      'emails[type eq "work"].value eq "ellen.entra@contoso.com"',
      'userName eq "ellen.entra@contoso.com" and externalId eq "entra-0001"',
    ]) {
      const response = await scim.get(`/Users?filter=${encodeURIComponent(filter)}`).expect(200);
      expect(response.body, filter).toMatchObject({ schemas: [LIST_RESPONSE], totalResults: 1, startIndex: 1, itemsPerPage: 1 });
      expect(response.body.Resources[0].id).toBe(userId);
    }
  });

  it('E7: Test Connection with random non-existent users gets an empty 200 list', async () => {
    const response = await scim.get(`/Users?filter=${encodeURIComponent('userName eq "7a4e1f9c-random@contoso.com"')}`).expect(200);
    expect(response.body).toMatchObject({ totalResults: 0, Resources: [] });
  });

  it('E8: Groups read with excludedAttributes=members answers an empty list', async () => {
    const response = await scim.get('/Groups?excludedAttributes=members').expect(200);
    expect(response.body).toMatchObject({ schemas: [LIST_RESPONSE], totalResults: 0, Resources: [] });
  });

  it('E9: DELETE removes the user: 204, then 404', async () => {
    await scim.delete(`/Users/${userId}`).expect(204);
    await scim.get(`/Users/${userId}`).expect(404);
  });
});
