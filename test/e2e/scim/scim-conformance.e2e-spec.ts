import { INestApplication } from '@nestjs/common';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { purgeIdsOfUser } from '../../support/api-reads';
import { CORE_USER, ERROR, okta, oktaUser, patchOp, scimTenant, ScimTenant } from '../../support/scim-client';
import { createTestApp } from '../../support/test-app';

// Response bodies are checked field by field; their shape is what the tests assert.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type ScimUserBody = Record<string, any>;

const DELETES_EVERYTHING = 'deactivation permanently deletes every file and message of the user';
let probe = 0;

/** What an independent RFC 7643/7644 checker found (issue 11, items 13–16, 21, 22). */
describe('SCIM conformance', () => {
  let app: INestApplication;
  let tenant: ScimTenant;
  let scim: ReturnType<typeof okta>;

  beforeAll(async () => {
    app = await createTestApp();
    tenant = await scimTenant(app, 'conformance');
    scim = okta(app, tenant);
  });

  afterAll(async () => {
    await app.close();
  });

  async function create(userName: string, extra: Record<string, unknown> = {}): Promise<ScimUserBody> {
    return (await scim.post('/Users', oktaUser(userName, 'Con', 'Form', extra)).expect(201)).body as ScimUserBody;
  }

  async function purgesOf(userId: string): Promise<number> {
    return (await purgeIdsOfUser(app, tenant.apiKey, userId)).length;
  }

  describe('externalId: set once while the user has none, then immutable (RFC 7644 §3.5.1–3.5.2)', () => {
    it('PATCH add stores it on a user that has none', async () => {
      const user = await create('ext.patch@example.com', { externalId: undefined });
      expect(user.externalId).toBeUndefined();
      const patched = await scim
        .patch(`/Users/${user.id as string}`, patchOp({ op: 'add', path: 'externalId', value: '00uPATCH' }))
        .expect(200);
      expect(patched.body.externalId).toBe('00uPATCH');
      expect((await scim.get(`/Users/${user.id as string}`).expect(200)).body.externalId).toBe('00uPATCH');
      const found = await scim.get(`/Users?filter=${encodeURIComponent('externalId eq "00uPATCH"')}`).expect(200);
      expect((found.body.Resources as { id: string }[]).map((resource) => resource.id)).toEqual([user.id]);
    });

    it('PUT stores it on a user that has none, and a PUT without it keeps it', async () => {
      const user = await create('ext.put@example.com', { externalId: undefined });
      const put = await scim.put(`/Users/${user.id as string}`, { ...user, externalId: '00uPUT' }).expect(200);
      expect(put.body.externalId).toBe('00uPUT');
      const withoutIt = { ...put.body };
      delete withoutIt.externalId;
      expect((await scim.put(`/Users/${user.id as string}`, withoutIt).expect(200)).body.externalId).toBe('00uPUT');
    });

    it('the same value again changes nothing', async () => {
      const user = await create('ext.same@example.com', { externalId: '00uSAME' });
      const replaced = await scim
        .patch(`/Users/${user.id as string}`, patchOp({ op: 'replace', path: 'externalId', value: '00uSAME' }))
        .expect(200);
      expect(replaced.body.meta.version).toBe(user.meta.version);
      expect((await scim.put(`/Users/${user.id as string}`, user).expect(200)).body.meta.version).toBe(user.meta.version);
    });

    it.each([
      [
        'PATCH replace',
        (id: string) => scim.patch(`/Users/${id}`, patchOp({ op: 'replace', path: 'externalId', value: '00uOTHER' })),
        'changed to "00uOTHER"',
      ],
      [
        'PATCH path-less replace',
        (id: string) =>
          scim.patch(`/Users/${id}`, patchOp({ op: 'replace', value: { externalId: '00uOTHER', name: { givenName: 'Not' } } })),
        'changed to "00uOTHER"',
      ],
      ['PATCH remove', (id: string) => scim.patch(`/Users/${id}`, patchOp({ op: 'remove', path: 'externalId' })), 'removed'],
      [
        'PUT with another value',
        (id: string) => scim.put(`/Users/${id}`, oktaUser('ext.kept@example.com', 'Not', 'Applied', { externalId: '00uOTHER' })),
        'changed to "00uOTHER"',
      ],
    ])(
      '%s of an existing value is 400 mutability with a detail an Okta admin can act on, and changes nothing',
      async (_case, send, change) => {
        const user =
          (await scim.get(`/Users?filter=${encodeURIComponent('userName eq "ext.kept@example.com"')}`).expect(200)).body.Resources[0] ??
          (await create('ext.kept@example.com', { externalId: '00uKEPT' }));
        const response = await send(user.id as string).expect(400);
        expect(response.body).toMatchObject({ schemas: [ERROR], status: '400', scimType: 'mutability' });
        expect(response.body.detail).toBe(
          `externalId cannot be ${change}: this user is linked to the identity-provider user "00uKEPT". If the identity provider now holds the person under another user ` +
            '(a re-created app or a migrated account), deactivate and delete this user here and let the identity provider provision them again; ' +
            `${DELETES_EVERYTHING}.`,
        );
        expect((await scim.get(`/Users/${user.id as string}`).expect(200)).body).toEqual(user);
      },
    );
  });

  describe('unassigned attributes are omitted (RFC 7643 §2.5)', () => {
    it('after remove name, and for a deactivated user, there is no "name" (nor displayName)', async () => {
      const user = await create('no.name@example.com');
      const removed = await scim.patch(`/Users/${user.id as string}`, patchOp({ op: 'remove', path: 'name' })).expect(200);
      expect(removed.body).not.toHaveProperty('name');
      expect(removed.body).not.toHaveProperty('displayName');
      expect((await scim.get(`/Users/${user.id as string}?attributes=name,userName`).expect(200)).body).toEqual({
        schemas: [CORE_USER],
        id: user.id,
        userName: 'no.name@example.com',
      });

      const deactivated = await create('deactivated.name@example.com');
      const response = await scim
        .patch(`/Users/${deactivated.id as string}`, patchOp({ op: 'replace', value: { active: false } }))
        .expect(200);
      expect(response.body).not.toHaveProperty('name');
      const listed = await scim.get(`/Users?filter=${encodeURIComponent('userName eq "deactivated.name@example.com"')}`).expect(200);
      expect(listed.body.Resources[0]).not.toHaveProperty('name');
      expect(listed.body.Resources[0].emails).toEqual([{ value: 'deactivated.name@example.com', type: 'work', primary: true }]);
    });

    it('a user without an email has no "emails"', async () => {
      const user = (
        await scim
          .post('/Users', { schemas: [CORE_USER], userName: 'no.email@example.com', active: true, name: { givenName: 'No' } })
          .expect(201)
      ).body;
      expect(user).not.toHaveProperty('emails');
      expect(user.name).toEqual({ givenName: 'No', formatted: 'No' });
    });
  });

  describe('active is required: declared so in /Schemas, never removed, sent in every POST and PUT', () => {
    it('/Schemas declares it required and writable', async () => {
      const schema = (await scim.get(`/Schemas/${CORE_USER}`).expect(200)).body;
      const active = (schema.attributes as { name: string }[]).find((attribute) => attribute.name === 'active');
      expect(active).toMatchObject({ type: 'boolean', required: true, mutability: 'readWrite' });
    });

    it.each([
      ['remove active', patchOp({ op: 'remove', path: 'active' })],
      ['replace active with null', patchOp({ op: 'replace', path: 'active', value: null })],
      ['a path-less null', patchOp({ op: 'replace', value: { active: null } })],
    ])('%s is 400 mutability and neither deactivates nor purges', async (_case, body) => {
      const user = await create(`keep.active.${(probe += 1)}@example.com`);
      const response = await scim.patch(`/Users/${user.id as string}`, body).expect(400);
      expect(response.body).toMatchObject({ schemas: [ERROR], status: '400', scimType: 'mutability' });
      expect(response.body.detail).toContain('active is required and cannot be removed');
      expect(response.body.detail).toContain('permanently deletes every file and message');
      expect((await scim.get(`/Users/${user.id as string}`).expect(200)).body).toEqual(user);
      expect(await purgesOf(user.id as string)).toBe(0);
    });

    it('a POST without active is 400 invalidValue and creates nothing', async () => {
      const response = await scim.post('/Users', { schemas: [CORE_USER], userName: 'no.active@example.com' }).expect(400);
      expect(response.body).toMatchObject({ schemas: [ERROR], status: '400', scimType: 'invalidValue' });
      expect(response.body.detail).toMatch(/^active is required/);
      expect(
        (await scim.get(`/Users?filter=${encodeURIComponent('userName eq "no.active@example.com"')}`).expect(200)).body.totalResults,
      ).toBe(0);
    });
  });

  describe('the discovery endpoints are read-only', () => {
    const paths = ['/ServiceProviderConfig', '/ResourceTypes', '/ResourceTypes/User', '/Schemas', `/Schemas/${CORE_USER}`];
    it.each(
      paths.flatMap((path) => (['post', 'put', 'patch', 'delete'] as const).map((method) => [method.toUpperCase(), path, method] as const)),
    )('%s %s is 405 with Allow: GET and a SCIM error', async (_method, path, method) => {
      const response = await (method === 'delete' ? scim.delete(path) : scim[method](path, {})).expect(405);
      expect(response.headers.allow).toBe('GET');
      expect(response.headers['content-type']).toBe('application/scim+json; charset=utf-8');
      expect(response.body).toMatchObject({ schemas: [ERROR], status: '405' });
      expect(response.body.detail).toMatch(/read-only: use GET/);
    });

    it('still asks for credentials first', async () => {
      await request(app.getHttpServer()).post('/scim/v2/Schemas').send({}).expect(401);
    });
  });

  describe('error details an Okta admin can act on', () => {
    it('a userName change says that deactivation deletes every file and message', async () => {
      const user = await create('rename.me@example.com');
      for (const response of [
        await scim.put(`/Users/${user.id as string}`, { ...user, userName: 'renamed@example.com' }).expect(400),
        await scim
          .patch(`/Users/${user.id as string}`, patchOp({ op: 'replace', path: 'userName', value: 'renamed@example.com' }))
          .expect(400),
      ]) {
        expect(response.body.scimType).toBe('mutability');
        expect(response.body.detail).toBe(
          'userName cannot be changed (from "rename.me@example.com" to "renamed@example.com"): this service keeps the userName it was provisioned with. ' +
            `To rename, deactivate this user and provision a new one; ${DELETES_EVERYTHING}.`,
        );
      }
    });

    it('a filter without a value says which value is missing', async () => {
      const response = await scim.get(`/Users?filter=${encodeURIComponent('userName eq')}`).expect(400);
      expect(response.body).toMatchObject({
        scimType: 'invalidFilter',
        detail: 'Invalid filter: "userName eq" needs a value, such as userName eq "alice@example.com"',
      });
    });

    it('a name longer than the column is 400 invalidValue, not a database error', async () => {
      const user = await create('long.name@example.com');
      const response = await scim
        .patch(`/Users/${user.id as string}`, patchOp({ op: 'replace', path: 'name.givenName', value: 'x'.repeat(256) }))
        .expect(400);
      expect(response.body).toMatchObject({ scimType: 'invalidValue', detail: 'name.givenName is longer than 255 characters' });
    });
  });
});
