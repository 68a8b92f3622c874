import { INestApplication } from '@nestjs/common';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminRequest } from '../../support/admin-api';
import { purgeIdsOfUser, purgesOfUser } from '../../support/api-reads';
import { CORE_USER, ERROR, LIST_RESPONSE, okta, oktaUser, patchOp, scimTenant, ScimTenant } from '../../support/scim-client';
import { createTestApp } from '../../support/test-app';

const SCIM_JSON = 'application/scim+json; charset=utf-8';

// Response bodies are checked field by field; their shape is what the tests assert.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type ScimUserBody = Record<string, any>;

describe('SCIM Users', () => {
  let app: INestApplication;
  let tenant: ScimTenant;
  let neighbour: ScimTenant;
  let scim: ReturnType<typeof okta>;

  beforeAll(async () => {
    app = await createTestApp();
    tenant = await scimTenant(app, 'users');
    neighbour = await scimTenant(app, 'neighbour');
    scim = okta(app, tenant);
  });

  afterAll(async () => {
    await app.close();
  });

  /** The tenant's users as the SCIM list counts them. */
  async function userRows(): Promise<number> {
    return Number((await scim.get('/Users?count=0').expect(200)).body.totalResults);
  }

  async function create(userName: string, givenName = 'Test', familyName = 'User'): Promise<ScimUserBody> {
    const response = await scim.post('/Users', oktaUser(userName, givenName, familyName)).expect(201);
    return response.body as ScimUserBody;
  }

  describe('Okta SCIM 2.0 SPEC Test (contract §2.1), step by step', () => {
    const suffix = Math.floor(Math.random() * 1000);
    const givenName = `Runscope${suffix}`;
    const familyName = `Abcdefghi${suffix}`;
    const randomUserName = `${givenName}${familyName}@atko.com`;
    let isvUserId: string;
    let idUserOne: string;

    it('1. GET /Users?count=1&startIndex=1 lists a complete first user', async () => {
      const response = await scim.get('/Users?count=1&startIndex=1').set('Content-Type', SCIM_JSON).expect(200);
      expect(response.headers['content-type']).toBe(SCIM_JSON);
      expect(response.body.schemas).toContain(LIST_RESPONSE);
      for (const field of ['itemsPerPage', 'startIndex', 'totalResults']) {
        expect(typeof response.body[field]).toBe('number');
      }
      const first = response.body.Resources[0];
      expect(first.id).toBeTruthy();
      expect(first.name.familyName).toBeTruthy();
      expect(first.name.givenName).toBeTruthy();
      expect(first.userName).toBeTruthy();
      expect(typeof first.active).toBe('boolean');
      expect(first.emails[0].value).toBeTruthy();
      isvUserId = first.id as string;
    });

    it('2. GET /Users/{id} returns the same user', async () => {
      const response = await scim.get(`/Users/${isvUserId}`).expect(200);
      expect(response.body.id).toBe(isvUserId);
      expect(response.body.name.familyName).toBeTruthy();
      expect(response.body.emails[0].value).toBeTruthy();
      expect(response.headers.etag).toBe(response.body.meta.version);
    });

    it('3. a filter for a user that does not exist is an empty list', async () => {
      const response = await scim.get('/Users?filter=userName%20eq%20%22abcdefgh%40atko.com%22').expect(200);
      expect(response.body.schemas).toContain(LIST_RESPONSE);
      expect(response.body.totalResults).toBe(0);
      expect(response.body.Resources).toEqual([]);
    });

    it('4. an unknown non-UUID id is a SCIM 404', async () => {
      const response = await scim.get('/Users/010101001010101011001010101011').expect(404);
      expect(response.body.detail).toBeTruthy();
      expect(response.body.schemas).toContain(ERROR);
    });

    it('5. the random userName is not there yet', async () => {
      const response = await scim.get(`/Users?filter=userName+eq+%22${encodeURIComponent(randomUserName)}%22`).expect(200);
      expect(response.body.totalResults).toBe(0);
    });

    it('6. POST /Users creates it, echoing the userName case', async () => {
      const response = await scim
        .post(
          '/Users',
          {
            schemas: [CORE_USER],
            userName: randomUserName,
            name: { givenName, familyName },
            emails: [{ primary: true, value: randomUserName, type: 'work' }],
            displayName: `${givenName} ${familyName}`,
            active: true,
          },
          'application/json',
        )
        .set('Accept', 'application/scim+json; charset=utf-8')
        .expect(201);
      expect(response.body.active).toBe(true);
      expect(response.body.id).toBeTruthy();
      expect(response.body.name).toMatchObject({ givenName, familyName });
      expect(response.body.schemas).toContain(CORE_USER);
      expect(response.body.userName).toBe(randomUserName);
      expect(response.headers.location).toBe(response.body.meta.location);
      // No PUBLIC_BASE_URL in this suite: the location is built from the request's own host.
      expect(response.body.meta.location).toMatch(new RegExp(`^http://127\\.0\\.0\\.1:\\d+/scim/v2/Users/${response.body.id as string}$`));
      expect(response.body.password).toBeUndefined();
      idUserOne = response.body.id as string;
    });

    it('7. GET /Users/{idUserOne} returns what was created', async () => {
      const response = await scim.get(`/Users/${idUserOne}`).expect(200);
      expect(response.body).toMatchObject({ userName: randomUserName, name: { givenName, familyName } });
    });

    it('8. the same POST again is 409 uniqueness', async () => {
      const response = await scim.post('/Users', oktaUser(randomUserName, givenName, familyName), 'application/json').expect(409);
      expect(response.body).toMatchObject({ schemas: [ERROR], status: '409', scimType: 'uniqueness' });
    });

    it('9. the filter finds the user whatever the case of the userName', async () => {
      const response = await scim
        .get(`/Users?filter=userName%20eq%20%22${encodeURIComponent(randomUserName.toUpperCase())}%22`)
        .expect(200);
      expect(response.body.totalResults).toBe(1);
      expect(response.body.Resources[0].id).toBe(idUserOne);
    });

    it('10. GET /Groups answers an empty list', async () => {
      const response = await scim.get('/Groups').expect(200);
      expect(response.body).toMatchObject({ schemas: [LIST_RESPONSE], totalResults: 0, Resources: [] });
    });

    it('11. Authorization: non-token is a SCIM 401', async () => {
      const response = await request(app.getHttpServer())
        .get('/scim/v2/Users?filter=userName%20eq%20%22x%22')
        .set('Authorization', 'non-token')
        .expect(401);
      expect(response.body).toMatchObject({ schemas: [ERROR], status: '401' });
      expect(response.body.detail).toBeTruthy();
    });

    it('12. GET /Users/00919288221112222 is a SCIM 404', async () => {
      const response = await scim.get('/Users/00919288221112222').expect(404);
      expect(response.body).toMatchObject({ schemas: [ERROR], status: '404' });
      expect(response.body.detail).toBeTruthy();
    });
  });

  describe('Okta lifecycle: the SCIM side of the CRUD test (§2.2) and R1–R11', () => {
    it('create → update names (PUT after GET) → deactivate → reactivate → unassign, keeping the id', async () => {
      const created = await create('crud.person@example.com', 'Crud', 'Person');
      const found = await scim.get('/Users?filter=userName%20eq%20%22crud.person%40example.com%22&startIndex=1&count=100').expect(200);
      expect(found.body.Resources[0]).toMatchObject({
        id: created.id,
        userName: 'crud.person@example.com',
        emails: [{ value: 'crud.person@example.com' }],
      });

      const current = (await scim.get(`/Users/${created.id as string}`).expect(200)).body;
      const renamed = await scim
        .put(`/Users/${created.id as string}`, { ...current, name: { ...current.name, givenName: 'Crudupdate' } })
        .expect(200);
      expect(renamed.body.name.givenName).toBe('Crudupdate');
      expect(renamed.body.name.familyName).toBe('Person');
      expect((await scim.get(`/Users/${created.id as string}`).expect(200)).body.name.givenName).toBe('Crudupdate');

      const deactivated = await scim
        .patch(`/Users/${created.id as string}`, patchOp({ op: 'replace', value: { active: false } }))
        .expect(200);
      expect(deactivated.body.active).toBe(false);
      expect((await scim.get(`/Users/${created.id as string}`).expect(200)).body.active).toBe(false);
      const stillFound = await scim.get('/Users?filter=userName%20eq%20%22CRUD.person%40example.com%22').expect(200);
      expect(stillFound.body.Resources[0]).toMatchObject({ id: created.id, active: false });

      const reactivated = await scim
        .patch(`/Users/${created.id as string}`, patchOp({ op: 'replace', value: { active: true } }))
        .expect(200);
      expect(reactivated.body).toMatchObject({ id: created.id, active: true });
      const pushed = await scim
        .put(`/Users/${created.id as string}`, { ...reactivated.body, name: { givenName: 'Crud', familyName: 'Person' } })
        .expect(200);
      expect(pushed.body.name).toMatchObject({ givenName: 'Crud', familyName: 'Person' });

      await scim.patch(`/Users/${created.id as string}`, patchOp({ op: 'replace', value: { active: false } })).expect(200);
      expect((await scim.get(`/Users/${created.id as string}`).expect(200)).body.active).toBe(false);
    });

    it('deactivation wipes the profile, revokes keys the user owned and records one purge', async () => {
      const created = await create('wiped@example.com', 'Wi', 'Ped');
      const response = await scim
        .patch(`/Users/${created.id as string}`, patchOp({ op: 'replace', path: 'active', value: false }))
        .expect(200);
      expect(response.body.name).toBeUndefined();
      expect(response.body.displayName).toBeUndefined();
      expect(response.body).toMatchObject({ userName: 'wiped@example.com', emails: [{ value: 'wiped@example.com' }], active: false });
      const purges = await purgesOfUser(app, tenant.apiKey, created.id as string);
      expect(purges).toHaveLength(1);
      expect(purges[0]?.userName).toBe('wiped@example.com');

      await scim.patch(`/Users/${created.id as string}`, patchOp({ op: 'replace', value: { active: false } })).expect(200);
      expect(await purgeIdsOfUser(app, tenant.apiKey, created.id as string)).toHaveLength(1);
    });

    it('deactivating an administrator revokes their API keys and SCIM credentials in the same step', async () => {
      const org = await scimTenant(app, 'admin-deactivation');
      const api = okta(app, org);
      await api.patch(`/Users/${org.adminId}`, patchOp({ op: 'replace', value: { active: false } })).expect(200);
      await api.get('/Users').expect(401);
      await adminRequest(app, 'get', '/admin/v1/organization', org.apiKey).expect(401);
    });

    it('deactivation by PUT with active:false; a PUT without active (required) is refused and changes nothing', async () => {
      const created = await create('put.deactivate@example.com');
      const id = created.id as string;
      const withoutActive: ScimUserBody = { ...created, name: { givenName: 'Not', familyName: 'Applied' } };
      delete withoutActive.active;
      expect((await scim.put(`/Users/${id}`, withoutActive).expect(400)).body).toMatchObject({ status: '400', scimType: 'invalidValue' });
      expect((await scim.get(`/Users/${id}`).expect(200)).body).toEqual(created);
      expect((await scim.put(`/Users/${id}`, { ...created, active: false }).expect(200)).body.active).toBe(false);
      expect(await purgeIdsOfUser(app, tenant.apiKey, id)).toHaveLength(1);
    });

    it('R1: Test API Credentials works with zero users too', async () => {
      const empty = await scimTenant(app, 'empty');
      const api = okta(app, empty);
      await api.patch(`/Users/${empty.adminId}`, patchOp({ op: 'replace', value: { active: false } })).expect(200);
      // The credential died with its owner; a fresh organization's count=2 probe still works.
      const fresh = await scimTenant(app, 'fresh');
      const response = await okta(app, fresh).get('/Users?startIndex=1&count=2').expect(200);
      expect(response.body).toMatchObject({ totalResults: 1, startIndex: 1, itemsPerPage: 1 });
    });

    it('R11: pages in a stable order with integer counters, capping count and reading bad values leniently', async () => {
      const org = await scimTenant(app, 'paging');
      const api = okta(app, org);
      for (let i = 0; i < 7; i += 1) {
        await api.post('/Users', oktaUser(`page${i}@example.com`)).expect(201);
      }
      const all = (await api.get('/Users?startIndex=1&count=100').expect(200)).body;
      expect(all.totalResults).toBe(8);
      const ids = (all.Resources as { id: string }[]).map((user) => user.id);
      const paged: string[] = [];
      for (let start = 1; start <= 8; start += 3) {
        const page = (await api.get(`/Users?startIndex=${start}&count=3`).expect(200)).body;
        expect(page).toMatchObject({ totalResults: 8, startIndex: start });
        expect(page.itemsPerPage).toBe(page.Resources.length);
        paged.push(...(page.Resources as { id: string }[]).map((user) => user.id));
      }
      expect(paged).toEqual(ids);
      expect((await api.get('/Users?startIndex=0&count=-5').expect(200)).body).toMatchObject({
        startIndex: 1,
        itemsPerPage: 0,
        totalResults: 8,
        Resources: [],
      });
      expect((await api.get('/Users?startIndex=abc&count=xyz').expect(200)).body).toMatchObject({ startIndex: 1, itemsPerPage: 8 });
      expect((await api.get('/Users?startIndex=100').expect(200)).body).toMatchObject({ totalResults: 8, itemsPerPage: 0, Resources: [] });
      expect((await api.get('/Users?count=100000').expect(200)).body.itemsPerPage).toBe(8);
    });
  });

  describe('filters', () => {
    it('supports the RFC grammar over the stored attributes', async () => {
      const org = await scimTenant(app, 'filters');
      const api = okta(app, org);
      const alice = (await api.post('/Users', oktaUser('Alice@Example.com', 'Alice', 'Archer', { externalId: 'ext-A' })).expect(201)).body;
      const bob = (await api.post('/Users', oktaUser('bob@example.com', 'Bob', 'Baker', { externalId: 'ext-B' })).expect(201)).body;
      await api.patch(`/Users/${bob.id as string}`, patchOp({ op: 'replace', value: { active: false } })).expect(200);
      const ids = async (filter: string): Promise<string[]> =>
        ((await api.get(`/Users?filter=${encodeURIComponent(filter)}`).expect(200)).body.Resources as { id: string }[])
          .map((user) => user.id)
          .sort();

      expect(await ids('userName eq "alice@example.com"')).toEqual([alice.id]);
      expect(await ids('UserName EQ "ALICE@EXAMPLE.COM"')).toEqual([alice.id]);
      expect(await ids('urn:ietf:params:scim:schemas:core:2.0:User:userName eq "bob@example.com"')).toEqual([bob.id]);
      expect(await ids('externalId eq "ext-A"')).toEqual([alice.id]);
      expect(await ids('externalId eq "EXT-A"')).toEqual([]);
      expect(await ids('emails[type eq "work" and value co "alice"]')).toEqual([alice.id]);
      expect(await ids('emails.value sw "bob@"')).toEqual([bob.id]);
      expect(await ids('name.givenName eq "alice" and active eq true')).toEqual([alice.id]);
      expect(await ids('active eq false')).toEqual([bob.id]);
      expect(await ids('not (active eq true) or userName ew "@example.com" and name.familyName pr')).toEqual([alice.id, bob.id].sort());
      expect(await ids(`id eq "${alice.id as string}"`)).toEqual([alice.id]);
      expect(await ids('meta.created gt "2000-01-01T00:00:00Z"')).toEqual(expect.arrayContaining([alice.id, bob.id]));
      expect(await ids('displayName eq "Alice Archer"')).toEqual([alice.id]);
    });

    it('answers 400 invalidFilter for bad or unsupported filters, never a 500', async () => {
      for (const filter of [
        'userName eq',
        'userName xx "a"',
        '(userName eq "a"',
        "userName eq 'a'",
        'title eq "x"',
        'active gt true',
        'userName eq "a" garbage',
        '',
      ]) {
        const response = await scim.get(`/Users?filter=${encodeURIComponent(filter)}`).expect(400);
        expect(response.body).toMatchObject({ schemas: [ERROR], status: '400', scimType: 'invalidFilter' });
        expect(response.body.detail).toBeTruthy();
      }
    });
  });

  describe('updates', () => {
    it('refuses a real userName change with 400 mutability, accepts a case-only one as a no-op, and ignores other attributes', async () => {
      const created = await create('Stable.Name@example.com', 'Sta', 'Ble');
      const id = created.id as string;
      const refused = await scim.put(`/Users/${id}`, { ...created, userName: 'other.name@example.com' }).expect(400);
      expect(refused.body).toMatchObject({ schemas: [ERROR], status: '400', scimType: 'mutability' });
      expect(refused.body.detail).toContain('userName cannot be changed');
      const patched = await scim.patch(`/Users/${id}`, patchOp({ op: 'replace', path: 'userName', value: 'else@example.com' })).expect(400);
      expect(patched.body.scimType).toBe('mutability');

      const caseOnly = await scim
        .put(`/Users/${id}`, {
          ...created,
          userName: 'STABLE.NAME@EXAMPLE.COM',
          emails: [{ value: 'new@x.com', primary: true }],
          displayName: 'X',
        })
        .expect(200);
      expect(caseOnly.body).toMatchObject({
        userName: 'Stable.Name@example.com',
        externalId: created.externalId,
        emails: [{ value: 'stable.name@example.com' }],
      });
      expect(caseOnly.body.meta.version).toBe(created.meta.version);
    });

    it('applies PATCH operations in order, atomically, with Entra’s variants', async () => {
      const created = await create('entra.person@example.com', 'Entra', 'Person');
      const id = created.id as string;
      const e1e2 = await scim
        .patch(
          `/Users/${id}`,
          patchOp({ op: 'Replace', path: 'name.givenName', value: 'Ent' }, { op: 'Add', path: 'name.familyName', value: 'Ra' }),
        )
        .expect(200);
      expect(e1e2.body.name).toMatchObject({ givenName: 'Ent', familyName: 'Ra' });
      const e4 = await scim
        .patch(
          `/Users/${id}`,
          patchOp({
            op: 'replace',
            value: { 'name.givenName': 'Dotted', 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber': '701984' },
          }),
        )
        .expect(200);
      expect(e4.body.name.givenName).toBe('Dotted');
      await scim
        .patch(`/Users/${id}`, patchOp({ op: 'Replace', path: 'emails[type eq "work"].value', value: 'ignored@example.com' }))
        .expect(200);
      const stringBoolean = await scim.patch(`/Users/${id}`, patchOp({ op: 'Replace', path: 'active', value: 'False' })).expect(200);
      expect(stringBoolean.body.active).toBe(false);
      const back = await scim
        .patch(`/Users/${id}`, patchOp({ op: 'replace', value: { active: 'True', name: { givenName: 'Back', familyName: 'Again' } } }))
        .expect(200);
      expect(back.body).toMatchObject({ active: true, name: { givenName: 'Back', familyName: 'Again' } });
      const noop = await scim.patch(`/Users/${id}`, patchOp()).expect(200);
      expect(noop.body.meta.version).toBe(back.body.meta.version);

      const before = (await scim.get(`/Users/${id}`).expect(200)).body;
      await scim
        .patch(`/Users/${id}`, patchOp({ op: 'replace', path: 'name.givenName', value: 'Half' }, { op: 'move', path: 'active' }))
        .expect(400);
      await scim.patch(`/Users/${id}`, patchOp({ op: 'remove' })).expect(400);
      await scim.patch(`/Users/${id}`, { Operations: [] }).expect(400);
      expect((await scim.get(`/Users/${id}`).expect(200)).body).toEqual(before);
    });

    it('honours If-Match with 412 and sends ETags', async () => {
      const created = await create('etag.person@example.com');
      const id = created.id as string;
      await scim
        .patch(`/Users/${id}`, patchOp({ op: 'replace', path: 'name.givenName', value: 'Stale' }))
        .set('If-Match', 'W/"999"')
        .expect(412);
      const fresh = await scim
        .patch(`/Users/${id}`, patchOp({ op: 'replace', path: 'name.givenName', value: 'Fresh' }))
        .set('If-Match', created.meta.version as string)
        .expect(200);
      expect(fresh.headers.etag).toBe(fresh.body.meta.version);
      expect(fresh.body.meta.version).not.toBe(created.meta.version);
    });
  });

  describe('DELETE (Entra E9)', () => {
    it('deactivates, purges, answers 204, then 404, and frees the userName', async () => {
      const created = await create('deleted.person@example.com');
      const id = created.id as string;
      await scim.delete(`/Users/${id}`).expect(204);
      await scim.get(`/Users/${id}`).expect(404);
      await scim.delete(`/Users/${id}`).expect(404);
      expect((await scim.get('/Users?filter=userName%20eq%20%22deleted.person%40example.com%22').expect(200)).body.totalResults).toBe(0);
      const again = await create('deleted.person@example.com');
      expect(again.id).not.toBe(id);
      expect(await purgeIdsOfUser(app, tenant.apiKey, id)).toHaveLength(1);
    });
  });

  describe('concurrency', () => {
    it('50 concurrent POSTs of one userName: exactly one 201, the rest 409, one row', async () => {
      const before = await userRows();
      const statuses = await Promise.all(
        Array.from({ length: 50 }, (_, i) =>
          scim.post('/Users', oktaUser(i % 2 ? 'race@example.com' : 'RACE@example.com')).then((response) => response.status),
        ),
      );
      expect(statuses.filter((status) => status === 201)).toHaveLength(1);
      expect(statuses.filter((status) => status === 409)).toHaveLength(49);
      expect(await userRows()).toBe(before + 1);
    });
  });

  describe('tenancy', () => {
    it("never shows or changes another organization's users (404)", async () => {
      const theirs = (await okta(app, neighbour).post('/Users', oktaUser('theirs@example.com')).expect(201)).body;
      const id = theirs.id as string;
      await scim.get(`/Users/${id}`).expect(404);
      await scim.put(`/Users/${id}`, theirs).expect(404);
      await scim.patch(`/Users/${id}`, patchOp({ op: 'replace', value: { active: false } })).expect(404);
      await scim.delete(`/Users/${id}`).expect(404);
      expect((await scim.get('/Users?filter=userName%20eq%20%22theirs%40example.com%22').expect(200)).body.totalResults).toBe(0);
      expect((await okta(app, neighbour).get(`/Users/${id}`).expect(200)).body).toMatchObject({ active: true, name: theirs.name });
    });
  });

  describe('bad input: a SCIM error and nothing written', () => {
    it('bad JSON, wrong schemas, wrong types, other media types and oversized bodies', async () => {
      const before = await userRows();
      const cases: [string, request.Test, number, string?][] = [
        ['bad JSON', scim.post('/Users', '{"schemas":['), 400, 'invalidSyntax'],
        ['missing schemas', scim.post('/Users', { userName: 'x@example.com' }), 400, 'invalidSyntax'],
        ['wrong schemas', scim.post('/Users', { schemas: ['urn:x'], userName: 'x@example.com' }), 400, 'invalidSyntax'],
        ['array body', scim.post('/Users', [oktaUser('x@example.com')]), 400, 'invalidSyntax'],
        ['no userName', scim.post('/Users', { schemas: [CORE_USER] }), 400, 'invalidValue'],
        ['numeric userName', scim.post('/Users', { schemas: [CORE_USER], userName: 5 }), 400, 'invalidValue'],
        ['name not an object', scim.post('/Users', { schemas: [CORE_USER], userName: 'x@example.com', name: 'X' }), 400, 'invalidValue'],
        [
          'active not boolean',
          scim.post('/Users', { schemas: [CORE_USER], userName: 'x@example.com', active: 'maybe' }),
          400,
          'invalidValue',
        ],
        ['text/plain', scim.post('/Users', JSON.stringify(oktaUser('x@example.com')), 'text/plain'), 415],
        ['xml', scim.post('/Users', '<user/>', 'application/xml'), 415],
        ['oversized', scim.post('/Users', { ...oktaUser('x@example.com'), padding: 'x'.repeat(1_100_000) }), 413],
      ];
      for (const [name, pending, status, scimType] of cases) {
        const response = await pending;
        expect(response.status, name).toBe(status);
        expect(response.headers['content-type'], name).toBe(SCIM_JSON);
        expect(response.body, name).toMatchObject({ schemas: [ERROR], status: String(status), ...(scimType ? { scimType } : {}) });
        expect(response.body.detail, name).toBeTruthy();
      }
      expect(await userRows()).toBe(before);
    });

    it('unknown routes are SCIM 404s, wrong methods 405, unsupported endpoints 501', async () => {
      expect((await scim.get('/Nope').expect(404)).body).toMatchObject({ schemas: [ERROR], status: '404' });
      const notAllowed = await scim.post(`/Users/${tenant.adminId}`, {}).expect(405);
      expect(notAllowed.headers.allow).toBe('GET, PUT, PATCH, DELETE');
      expect(notAllowed.body.status).toBe('405');
      for (const send of [() => scim.put('/Users', {}), () => scim.patch('/Users', {}), () => scim.delete('/Users')]) {
        const collection = await send().expect(405);
        expect(collection.headers.allow).toBe('GET, POST');
        expect(collection.body).toMatchObject({ schemas: [ERROR], status: '405' });
      }
      for (const path of ['/Bulk', '/Me', '/Groups/abc', '/.search', '/Users/.search']) {
        expect((await scim.post(path, {}).expect(501)).body).toMatchObject({ schemas: [ERROR], status: '501' });
      }
      for (const send of [
        () => scim.post('/Groups', {}),
        () => scim.put('/Groups', {}),
        () => scim.patch('/Groups', {}),
        () => scim.delete('/Groups'),
      ]) {
        expect((await send().expect(501)).body).toMatchObject({ schemas: [ERROR], status: '501' });
      }
    });

    it('matches paths without regard to case or a trailing slash, as Express did', async () => {
      expect((await scim.get(`/users/${tenant.adminId}`).expect(200)).body.id).toBe(tenant.adminId);
      expect((await scim.get('/Users/').expect(200)).body.schemas).toEqual([LIST_RESPONSE]);
    });
  });

  describe('discovery', () => {
    it('advertises real capabilities and an immutable userName', async () => {
      const config = (await scim.get('/ServiceProviderConfig').expect(200)).body;
      expect(config).toMatchObject({
        patch: { supported: true },
        bulk: { supported: false },
        filter: { supported: true, maxResults: 200 },
        sort: { supported: false },
        etag: { supported: true },
        changePassword: { supported: false },
        authenticationSchemes: [{ type: 'httpbasic' }],
      });
      const types = (await scim.get('/ResourceTypes').expect(200)).body;
      expect(types).toMatchObject({ totalResults: 1, Resources: [{ id: 'User', endpoint: '/Users', schema: CORE_USER }] });
      await scim.get('/ResourceTypes/User').expect(200);
      await scim.get('/ResourceTypes/Group').expect(404);
      const schemas = (await scim.get('/Schemas').expect(200)).body;
      const userName = (schemas.Resources[0].attributes as { name: string; mutability: string; uniqueness: string }[]).find(
        (attribute) => attribute.name === 'userName',
      );
      expect(userName).toMatchObject({ mutability: 'immutable', uniqueness: 'server' });
      await scim.get(`/Schemas/${CORE_USER}`).expect(200);
    });
  });

  describe('projection', () => {
    it('returns only the attributes asked for, always with id and schemas', async () => {
      const response = await scim
        .get(`/Users?attributes=userName,name.givenName&filter=${encodeURIComponent(`id eq "${tenant.adminId}"`)}`)
        .expect(200);
      expect(Object.keys(response.body.Resources[0]).sort()).toEqual(['id', 'name', 'schemas', 'userName']);
      expect(Object.keys(response.body.Resources[0].name)).toEqual(['givenName']);
      const excluded = await scim.get(`/Users/${tenant.adminId}?excludedAttributes=emails,meta,id`).expect(200);
      expect(excluded.body.emails).toBeUndefined();
      expect(excluded.body.meta).toBeUndefined();
      expect(excluded.body.id).toBe(tenant.adminId);
    });
  });
});
