import { INestApplication } from '@nestjs/common';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_JSON_NESTING_DEPTH } from '../../../src/common/http/json-body';
import { adminRequest, adminSignatureHeaders } from '../../support/admin-api';
import { createUser, sha256 } from '../../support/purge-fixtures';
import { CORE_USER, ERROR, okta, oktaUser, patchOp, scimTenant, ScimTenant } from '../../support/scim-client';
import { createTestApp } from '../../support/test-app';

const SCIM_JSON = 'application/scim+json; charset=utf-8';
const LATIN1_BODY = Buffer.from(JSON.stringify(oktaUser('zoë.latin1@example.com', 'Zoë', 'Ångström')), 'latin1');

function expectScimError(response: request.Response, status: number, scimType?: string): void {
  expect(response.status).toBe(status);
  expect(response.headers['content-type']).toBe(SCIM_JSON);
  expect(response.body).toMatchObject({ schemas: [ERROR], status: String(status), detail: expect.any(String) });
  if (scimType !== undefined) {
    expect(response.body.scimType).toBe(scimType);
  }
}

function expectAdminError(response: request.Response, status: number): void {
  expect(response.status).toBe(status);
  expect(response.body).toMatchObject({ statusCode: status, error: expect.any(String), message: expect.any(String) });
}

/** `{"urn…:User": {"urn…:User": … }}`: the PATCH mapper reads each level by recursing. */
function nestedCoreSchema(depth: number): string {
  return `${`{"${CORE_USER}":`.repeat(depth)}{"active":true}${'}'.repeat(depth)}`;
}

const deepArray = (depth: number): string => `${'['.repeat(depth)}1${']'.repeat(depth)}`;

describe('request input that is malformed, oddly encoded or oversized', () => {
  let app: INestApplication;
  let tenant: ScimTenant;
  let scim: ReturnType<typeof okta>;
  let userId: string;

  beforeAll(async () => {
    app = await createTestApp();
    tenant = await scimTenant(app, 'input');
    scim = okta(app, tenant);
    userId = (await scim.post('/Users', oktaUser('input.target@example.com', 'Input', 'Target')).expect(201)).body.id as string;
  });

  afterAll(async () => {
    await app.close();
  });

  /** A correctly signed admin request with exactly these body bytes. */
  function signedAdmin(
    method: 'post' | 'get' | 'delete',
    pathWithQuery: string,
    body: Buffer | string = '',
    contentType = 'application/json',
  ): request.Test {
    const server = request(app.getHttpServer());
    const test = server[method](pathWithQuery).set(
      adminSignatureHeaders(tenant.apiKey, { method: method.toUpperCase(), pathWithQuery, body }),
    );
    // Bytes as they are: superagent would serialize a Buffer as JSON.
    return body.length > 0
      ? test
          .set('Content-Type', contentType)
          .serialize((data: unknown) => data as string)
          .send(body)
      : test;
  }

  async function targetUser(): Promise<unknown> {
    return (await scim.get(`/Users/${userId}`).expect(200)).body;
  }

  async function messageCount(id: string): Promise<number> {
    return (await adminRequest(app, 'get', `/admin/v1/users/${id}/history`, tenant.apiKey).expect(200)).body.messages.count as number;
  }

  describe('repeated query parameters', () => {
    it('refuse an upload named twice with 400, storing nothing', async () => {
      const user = await createUser(app, tenant.organizationId);
      const content = Buffer.from('twice named');
      const path = `/admin/v1/users/${user.id}/files?name=a.txt&name=b.txt`;
      const response = await request(app.getHttpServer())
        .post(path)
        .set(adminSignatureHeaders(tenant.apiKey, { method: 'POST', pathWithQuery: path, contentSha256: sha256(content) }))
        .set('ss-content-sha256', sha256(content))
        .set('Content-Type', 'application/octet-stream')
        .send(content);
      expectAdminError(response, 400);
      expect(response.body.message).toBe('The query parameter "name" is given 2 times; give it once.');
      const history = await adminRequest(app, 'get', `/admin/v1/users/${user.id}/history`, tenant.apiKey).expect(200);
      expect(history.body.files.count).toBe(0);
    });

    it.each([
      'count=1&count=2',
      'startIndex=1&startIndex=1',
      'filter=active%20eq%20true&filter=active%20eq%20false',
      'attributes=id&attributes=userName',
    ])('refuse SCIM list parameters given twice (%s) in the SCIM shape', async (query) => {
      const response = await scim.get(`/Users?${query}`);
      expectScimError(response, 400);
      expect(response.body.detail).toMatch(/is given 2 times; give it once\.$/);
    });

    it('refuse admin list parameters given twice', async () => {
      for (const path of [
        '/admin/v1/users?limit=1&limit=2',
        '/admin/v1/purges?state=pending&state=failed',
        '/admin/v1/audit-events?offset=0&offset=0',
      ]) {
        const response = await adminRequest(app, 'get', path, tenant.apiKey);
        expectAdminError(response, 400);
        expect(response.body.message).toMatch(/^The query parameter "(limit|state|offset)" is given 2 times/);
      }
    });

    it('are judged after authentication', async () => {
      await request(app.getHttpServer()).get('/scim/v2/Users?count=1&count=2').expect(401);
      await request(app.getHttpServer()).get('/admin/v1/users?limit=1&limit=2').expect(401);
    });
  });

  describe('deeply nested JSON', () => {
    it('refuses a PATCH value nested 20,000 deep with 400 invalidSyntax, changing nothing', async () => {
      const before = await targetUser();
      for (const value of [nestedCoreSchema(20_000), deepArray(20_000)]) {
        const body = `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"replace","value":${value}}]}`;
        const response = await scim.patch(`/Users/${userId}`, body);
        expectScimError(response, 400, 'invalidSyntax');
        expect(response.body.detail).toContain(`more than ${MAX_JSON_NESTING_DEPTH} levels`);
      }
      expect(await targetUser()).toEqual(before);
    });

    it('refuses SCIM POST and PUT bodies nested too deep', async () => {
      const nestedUser = `{"schemas":["${CORE_USER}"],"userName":"deep@example.com","x":${deepArray(MAX_JSON_NESTING_DEPTH)}}`;
      expectScimError(await scim.post('/Users', nestedUser), 400, 'invalidSyntax');
      expectScimError(await scim.put(`/Users/${userId}`, nestedUser), 400, 'invalidSyntax');
      await scim
        .get(`/Users?filter=${encodeURIComponent('userName eq "deep@example.com"')}`)
        .expect(200)
        .expect((response) => expect(response.body.totalResults).toBe(0));
    });

    it('still reads the nesting real clients send, up to the limit', async () => {
      const operations = `[{"op":"replace","value":${nestedCoreSchema(MAX_JSON_NESTING_DEPTH - 4)}}]`;
      const response = await scim
        .patch(`/Users/${userId}`, `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":${operations}}`)
        .expect(200);
      expect(response.body.active).toBe(true);
    });

    it('refuses admin bodies nested 5,000 deep with 400, storing nothing', async () => {
      const keysBefore = (await adminRequest(app, 'get', '/admin/v1/api-keys', tenant.apiKey).expect(200)).body.items.length as number;
      const key = await signedAdmin('post', '/admin/v1/api-keys', `{"description":${deepArray(5000)}}`);
      expectAdminError(key, 400);
      expect(key.body.message).toContain(`more than ${MAX_JSON_NESTING_DEPTH} levels`);
      expect((await adminRequest(app, 'get', '/admin/v1/api-keys', tenant.apiKey).expect(200)).body.items).toHaveLength(keysBefore);
      const message = await signedAdmin(
        'post',
        `/admin/v1/users/${tenant.adminId}/messages`,
        `{"subject":"s","body":"b","x":${deepArray(5000)}}`,
      );
      expectAdminError(message, 400);
      expect(await messageCount(tenant.adminId)).toBe(0);
    });
  });

  describe('path parameters of any length', () => {
    const longId = 'a'.repeat(101);
    const veryLongId = '9'.repeat(8000);

    it('answer 404 on every /scim/v2/Users/:id method (405 for POST), after authentication', async () => {
      for (const id of [longId, veryLongId]) {
        expectScimError(await scim.get(`/Users/${id}`), 404);
        expectScimError(await scim.put(`/Users/${id}`, oktaUser('long.id@example.com')), 404);
        expectScimError(await scim.patch(`/Users/${id}`, patchOp({ op: 'replace', path: 'active', value: false })), 404);
        expectScimError(await scim.delete(`/Users/${id}`), 404);
        expectScimError(await scim.post(`/Users/${id}`, oktaUser('long.id@example.com')), 405);
        expectScimError(await request(app.getHttpServer()).get(`/scim/v2/Users/${id}`), 401);
      }
    });

    it('answer 404 on admin routes with ids', async () => {
      for (const [method, path] of [
        ['get', `/admin/v1/users/${veryLongId}`],
        ['delete', `/admin/v1/api-keys/${veryLongId}`],
        ['post', `/admin/v1/users/${longId}/admin`],
        ['get', `/admin/v1/purges/${veryLongId}/items`],
      ] as const) {
        expectAdminError(await adminRequest(app, method, path, tenant.apiKey), 404);
      }
      expectAdminError(await request(app.getHttpServer()).get(`/admin/v1/users/${veryLongId}`), 401);
    });
  });

  describe('bodies that are not UTF-8', () => {
    const invalidUtf8 = Buffer.concat([
      Buffer.from(`{"schemas":["${CORE_USER}"],"userName":"bad`),
      Buffer.from([0xff, 0xfe]),
      Buffer.from('@example.com"}'),
    ]);

    it('SCIM POST: 415 for a declared ISO-8859-1 body, 400 invalidSyntax for invalid UTF-8; nothing stored', async () => {
      const declared = await scim.post('/Users', LATIN1_BODY, 'application/scim+json; charset=ISO-8859-1');
      expectScimError(declared, 415);
      expect(declared.body.detail).toContain('only UTF-8 is accepted');
      const undeclared = await scim.post('/Users', LATIN1_BODY);
      expectScimError(undeclared, 400, 'invalidSyntax');
      expect(undeclared.body.detail).toContain('not valid UTF-8');
      expectScimError(await scim.post('/Users', invalidUtf8), 400, 'invalidSyntax');
      const found = await scim.get(`/Users?filter=${encodeURIComponent('userName sw "zo"')}`).expect(200);
      expect(found.body.totalResults).toBe(0);
    });

    it('SCIM PUT and PATCH: refused the same way, the user unchanged', async () => {
      const before = await targetUser();
      const latinPatch = Buffer.from(JSON.stringify(patchOp({ op: 'replace', path: 'name.givenName', value: 'Zoë' })), 'latin1');
      expectScimError(await scim.put(`/Users/${userId}`, LATIN1_BODY, 'application/scim+json; charset=iso-8859-1'), 415);
      expectScimError(await scim.put(`/Users/${userId}`, LATIN1_BODY), 400, 'invalidSyntax');
      expectScimError(await scim.patch(`/Users/${userId}`, latinPatch, 'application/json; charset=latin1'), 415);
      expectScimError(await scim.patch(`/Users/${userId}`, latinPatch), 400, 'invalidSyntax');
      expectScimError(
        await scim.patch(
          `/Users/${userId}`,
          JSON.stringify(patchOp({ op: 'replace', path: 'name.givenName', value: 'x' })).replace('"x"', '"\\ud800"'),
        ),
        400,
        'invalidSyntax',
      );
      expect(await targetUser()).toEqual(before);
    });

    it('admin JSON routes: 415 for another charset, 400 for invalid UTF-8 or a lone surrogate; nothing stored', async () => {
      const path = `/admin/v1/users/${tenant.adminId}/messages`;
      const latin = Buffer.from(JSON.stringify({ subject: 'Grüße', body: 'Zoë' }), 'latin1');
      const declared = await signedAdmin('post', path, latin, 'application/json; charset=ISO-8859-1');
      expectAdminError(declared, 415);
      expect(declared.body.message).toContain('only UTF-8 is accepted');
      expectAdminError(await signedAdmin('post', path, latin), 400);
      expectAdminError(await signedAdmin('post', path, '{"subject":"half \\udead pair","body":""}'), 400);
      expectAdminError(await signedAdmin('post', '/admin/v1/api-keys', Buffer.from('{"description":"Caf\xe9"}', 'latin1')), 400);
      expect(await messageCount(tenant.adminId)).toBe(0);
      // The same message in UTF-8, declared or not, is stored as sent.
      await signedAdmin(
        'post',
        path,
        Buffer.from(JSON.stringify({ subject: 'Grüße', body: 'Zoë' })),
        'application/json; charset=UTF-8',
      ).expect(201);
      await signedAdmin('post', path, Buffer.from(JSON.stringify({ subject: 'Grüße 😀', body: '' }))).expect(201);
      expect(await messageCount(tenant.adminId)).toBe(2);
    });
  });

  describe('form-encoded bodies', () => {
    it('are refused with 415 on admin routes (they take JSON), nothing stored; an empty one reads as no body', async () => {
      const path = `/admin/v1/users/${tenant.adminId}/messages`;
      const before = await messageCount(tenant.adminId);
      const form = Buffer.concat([Buffer.from('subject=Caf'), Buffer.from([0xe9]), Buffer.from('&body=x')]);
      const refused = await signedAdmin('post', path, form, 'application/x-www-form-urlencoded');
      expectAdminError(refused, 415);
      expect(refused.body.message).toContain('application/json');
      expect(await messageCount(tenant.adminId)).toBe(before);
      const keyId = (await adminRequest(app, 'post', '/admin/v1/api-keys', tenant.apiKey, { description: 'form test' }).expect(201)).body
        .id as string;
      const signed = adminSignatureHeaders(tenant.apiKey, {
        method: 'POST',
        pathWithQuery: `/admin/v1/api-keys/${keyId}/scim-credentials`,
        body: '',
      });
      const issued = await request(app.getHttpServer())
        .post(`/admin/v1/api-keys/${keyId}/scim-credentials`)
        .set(signed)
        .set('Content-Type', 'application/x-www-form-urlencoded')
        .send('');
      expect(issued.status).toBe(201);
    });

    it('are refused with 415 in the SCIM shape on SCIM routes', async () => {
      expectScimError(await scim.post('/Users', 'userName=form%40example.com', 'application/x-www-form-urlencoded'), 415);
    });
  });

  describe('validation messages of admin bodies', () => {
    it('a message without body says body is required and what it holds', async () => {
      const response = await adminRequest(app, 'post', `/admin/v1/users/${tenant.adminId}/messages`, tenant.apiKey, { subject: 'No body' });
      expectAdminError(response, 400);
      expect(response.body.message).toBe('body is required: the message text, a string of at most 65535 characters (it may be empty).');
    });

    it('names a wrong type and an overlong value once each', async () => {
      const path = `/admin/v1/users/${tenant.adminId}/messages`;
      const wrongType = await adminRequest(app, 'post', path, tenant.apiKey, { subject: 5, body: 'b' });
      expect(wrongType.body.message).toBe('subject must be a string of 1 to 255 characters, not a number.');
      const tooLong = await adminRequest(app, 'post', path, tenant.apiKey, { subject: 's', body: 'b'.repeat(65536) });
      expect(tooLong.body.message).toBe('body is too long: send at most 65535 characters.');
    });

    it('refuses a body that is not a JSON object', async () => {
      for (const body of ['[]', '"text"', '42', 'null']) {
        const response = await signedAdmin('post', `/admin/v1/users/${tenant.adminId}/messages`, body);
        expectAdminError(response, 400);
        expect(response.body.message).toMatch(/^The request body must be a JSON object, not (an array|a string|a number|null)\.$/);
      }
    });

    it('paging parameters get one message each', async () => {
      const response = await adminRequest(app, 'get', '/admin/v1/audit-events?limit=abc', tenant.apiKey);
      expectAdminError(response, 400);
      expect(response.body.message).toBe('limit must be an integer from 1 to 200');
    });
  });
});
