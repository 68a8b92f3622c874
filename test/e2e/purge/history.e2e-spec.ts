import { INestApplication } from '@nestjs/common';
import request from 'supertest';
import { DataSource } from 'typeorm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encryptedFileSize } from '../../../src/content-encryption/file-format';
import { StoredFile } from '../../../src/history/stored-file.entity';
import { BlobStorage } from '../../../src/storage/blob-storage';
import { User } from '../../../src/users/user.entity';
import { adminRequest, bootstrapOrganization, BootstrappedOrganization } from '../../support/admin-api';
import { writeDirectly } from '../../support/direct-writes';
import { stagedUploads, storedKeys } from '../../support/e2e-storage';
import { createUser, sha256, uploadHeaders, uploadRequest } from '../../support/purge-fixtures';
import { rememberSecret } from '../../support/secret-ledger';
import { createTestApp } from '../../support/test-app';

const UPLOAD_LIMIT = 64 * 1024;

describe('history: messages and files of a user, through the admin API', () => {
  let app: INestApplication;
  let acme: BootstrappedOrganization;
  let other: BootstrappedOrganization;

  beforeAll(async () => {
    process.env.FILE_UPLOAD_MAX_BYTES = String(UPLOAD_LIMIT);
    app = await createTestApp();
    acme = await bootstrapOrganization(app, 'hist');
    other = await bootstrapOrganization(app, 'hist-other');
    rememberSecret(acme.apiKey.secret, other.apiKey.secret);
  });

  afterAll(async () => {
    await app.close();
    delete process.env.FILE_UPLOAD_MAX_BYTES;
  });

  it('adds messages and files and reports counts and bytes', async () => {
    const user = await createUser(app, acme.organizationId);
    const empty = await adminRequest(app, 'get', `/admin/v1/users/${user.id}/history`, acme.apiKey).expect(200);
    expect(empty.body).toEqual({ userId: user.id, messages: { count: 0 }, files: { count: 0, bytes: 0 } });

    const message = await adminRequest(app, 'post', `/admin/v1/users/${user.id}/messages`, acme.apiKey, {
      subject: 'Hello',
      body: 'World',
    }).expect(201);
    expect(message.body).toEqual({ id: expect.any(Number), userId: user.id, subject: 'Hello', createdAt: expect.any(String) });

    const content = Buffer.from('confidential quarterly numbers\n'.repeat(100));
    const file = await uploadRequest(app, acme.apiKey, user.id, 'report Q3.txt', content).expect(201);
    expect(file.body).toEqual({
      id: expect.any(Number),
      userId: user.id,
      name: 'report Q3.txt',
      sizeBytes: content.length,
      sha256: sha256(content),
      createdAt: expect.any(String),
    });

    const history = await adminRequest(app, 'get', `/admin/v1/users/${user.id}/history`, acme.apiKey).expect(200);
    expect(history.body).toEqual({ userId: user.id, messages: { count: 1 }, files: { count: 1, bytes: content.length } });
  });

  it('stores the bytes under <storage>/<organization>/<user>/ with their checksum recorded', async () => {
    const user = await createUser(app, acme.organizationId);
    const content = Buffer.from([0, 1, 2, 3, 254, 255]);
    const response = await uploadRequest(app, acme.apiKey, user.id, 'binary.bin', content).expect(201);
    // Where the bytes are kept is the point, and no API names a file's storage key.
    const row = await app.get(DataSource).getRepository(StoredFile).findOneByOrFail({ id: response.body.id });
    expect(row.storageKey).toMatch(new RegExp(`^${acme.organizationId}/${user.id}/[0-9a-f-]{36}$`));
    expect(row.sha256).toBe(sha256(content));
    const stored = await storedKeys(app, acme.organizationId, user.id);
    expect(stored).toEqual([row.storageKey.split('/')[2]]);
    // Stored encrypted (docs/encryption.md): the exact encrypted size, never the plaintext.
    const bytes = await app.get(BlobStorage).read(row.storageKey);
    expect(bytes.length).toBe(encryptedFileSize(content.length));
    expect(bytes.includes(content)).toBe(false);
    // Nothing is left behind in the staging area.
    expect(await stagedUploads(app)).toEqual([]);
  });

  it('streams uploads larger than the JSON body limit, up to its own limit', async () => {
    const user = await createUser(app, acme.organizationId);
    const content = Buffer.alloc(UPLOAD_LIMIT, 7);
    await uploadRequest(app, acme.apiKey, user.id, 'exactly-the-limit.bin', content).expect(201);
    const tooLarge = await uploadRequest(app, acme.apiKey, user.id, 'too-large.bin', Buffer.alloc(UPLOAD_LIMIT + 1, 7)).expect(413);
    expect(tooLarge.body.error).toBe('payload_too_large');
    const history = await adminRequest(app, 'get', `/admin/v1/users/${user.id}/history`, acme.apiKey).expect(200);
    expect(history.body.files).toEqual({ count: 1, bytes: UPLOAD_LIMIT });
    expect(await storedKeys(app, acme.organizationId, user.id)).toHaveLength(1);
  });

  it('refuses a stream that outgrows the limit without announcing its length, keeping nothing', async () => {
    const user = await createUser(app, acme.organizationId);
    const content = Buffer.alloc(UPLOAD_LIMIT * 2, 9);
    const path = `/admin/v1/users/${user.id}/files?name=chunked.bin`;
    const digest = sha256(content);
    const test = request(app.getHttpServer())
      .post(path)
      .set(uploadHeaders(acme.apiKey, path, digest))
      .set('ss-content-sha256', digest)
      .set('Content-Type', 'application/octet-stream')
      .set('Transfer-Encoding', 'chunked');
    for (let offset = 0; offset < content.length; offset += 8192) {
      test.write(content.subarray(offset, offset + 8192));
    }
    const response = await test;
    expect(response.status).toBe(413);
    expect(await storedKeys(app, acme.organizationId, user.id)).toEqual([]);
    expect(await stagedUploads(app)).toEqual([]);
  });

  it('refuses content that does not hash to the signed ss-content-sha256, keeping nothing', async () => {
    const user = await createUser(app, acme.organizationId);
    const response = await uploadRequest(app, acme.apiKey, user.id, 'swapped.bin', Buffer.from('tampered'), {
      declaredSha256: sha256('original'),
    }).expect(400);
    expect(response.body.message).toContain('ss-content-sha256');
    expect(await storedKeys(app, acme.organizationId, user.id)).toEqual([]);
    const history = await adminRequest(app, 'get', `/admin/v1/users/${user.id}/history`, acme.apiKey).expect(200);
    expect(history.body.files.count).toBe(0);
  });

  it('binds the signature to the content digest: a signature over another digest, or over an empty body, is refused', async () => {
    const user = await createUser(app, acme.organizationId);
    const content = Buffer.from('payload');
    const path = `/admin/v1/users/${user.id}/files?name=x.bin`;
    const send = (signedSha256: string, header: string | null): request.Test => {
      let test = request(app.getHttpServer())
        .post(path)
        .set(uploadHeaders(acme.apiKey, path, signedSha256))
        .set('Content-Type', 'application/octet-stream');
      if (header !== null) {
        test = test.set('ss-content-sha256', header);
      }
      return test.send(content);
    };
    await send(sha256('something else'), sha256(content)).expect(401);
    await send(sha256(''), sha256(content)).expect(401);
    // Signed over an empty body and no digest header: authenticated, but an upload needs the digest.
    const missing = await send(sha256(''), null).expect(400);
    expect(missing.body.message).toContain('ss-content-sha256');
    await send(sha256(content), sha256(content)).expect(201);
  });

  it('takes uploads as application/octet-stream only', async () => {
    const user = await createUser(app, acme.organizationId);
    const response = await uploadRequest(app, acme.apiKey, user.id, 'x.txt', Buffer.from('text'), { contentType: 'text/plain' }).expect(
      415,
    );
    expect(response.body.error).toBe('unsupported_media_type');
  });

  it('validates names and message bodies', async () => {
    const user = await createUser(app, acme.organizationId);
    await uploadRequest(app, acme.apiKey, user.id, '', Buffer.from('x')).expect(400);
    await uploadRequest(app, acme.apiKey, user.id, 'n'.repeat(256), Buffer.from('x')).expect(400);
    await adminRequest(app, 'post', `/admin/v1/users/${user.id}/messages`, acme.apiKey, { subject: '', body: 'b' }).expect(400);
    await adminRequest(app, 'post', `/admin/v1/users/${user.id}/messages`, acme.apiKey, { subject: 's' }).expect(400);
    const history = await adminRequest(app, 'get', `/admin/v1/users/${user.id}/history`, acme.apiKey).expect(200);
    expect(history.body).toMatchObject({ messages: { count: 0 }, files: { count: 0 } });
  });

  it("answers 404 for unknown users and another organization's users, writing nothing", async () => {
    const stranger = await createUser(app, other.organizationId);
    for (const userId of [stranger.id, 'no-such-user']) {
      await adminRequest(app, 'post', `/admin/v1/users/${userId}/messages`, acme.apiKey, { subject: 's', body: 'b' }).expect(404);
      await uploadRequest(app, acme.apiKey, userId, 'x.bin', Buffer.from('x')).expect(404);
      await adminRequest(app, 'get', `/admin/v1/users/${userId}/history`, acme.apiKey).expect(404);
    }
    const history = await adminRequest(app, 'get', `/admin/v1/users/${stranger.id}/history`, other.apiKey).expect(200);
    expect(history.body).toMatchObject({ messages: { count: 0 }, files: { count: 0, bytes: 0 } });
    expect(await storedKeys(app, other.organizationId)).toEqual([]);
  });

  it("refuses to grow a deactivated user's history (409) but still reports it", async () => {
    const user = await createUser(app, acme.organizationId);
    await adminRequest(app, 'post', `/admin/v1/users/${user.id}/messages`, acme.apiKey, { subject: 's', body: 'b' }).expect(201);
    await writeDirectly(app, (dataSource) => dataSource.getRepository(User).update({ id: user.id }, { active: false }));
    const message = await adminRequest(app, 'post', `/admin/v1/users/${user.id}/messages`, acme.apiKey, { subject: 's', body: 'b' }).expect(
      409,
    );
    expect(message.body.error).toBe('user_inactive');
    await uploadRequest(app, acme.apiKey, user.id, 'late.bin', Buffer.from('late')).expect(409);
    const history = await adminRequest(app, 'get', `/admin/v1/users/${user.id}/history`, acme.apiKey).expect(200);
    expect(history.body).toMatchObject({ messages: { count: 1 }, files: { count: 0 } });
  });

  it('documents the upload signing scheme in the OpenAPI description', async () => {
    const response = await request(app.getHttpServer()).get('/admin/docs-json').expect(200);
    const upload = response.body.paths['/admin/v1/users/{id}/files'].post;
    expect(upload.description).toContain('ss-content-sha256');
    expect(Object.keys(response.body.paths)).toEqual(
      expect.arrayContaining(['/admin/v1/users/{id}/messages', '/admin/v1/users/{id}/history']),
    );
  });
});
