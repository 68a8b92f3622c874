import { readFileSync, writeFileSync } from 'node:fs';
import { get as httpGet, IncomingHttpHeaders, Server } from 'node:http';
import { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { INestApplication } from '@nestjs/common';
import request from 'supertest';
import { DataSource } from 'typeorm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Settings } from '../../../src/config/settings';
import { encryptedFileSize, FILE_CHUNK_BYTES, FILE_LAYOUT } from '../../../src/content-encryption/file-format';
import { adminRequest, adminSignatureHeaders, bootstrapOrganization, BootstrappedOrganization } from '../../support/admin-api';
import { writeDirectly } from '../../support/direct-writes';
import { createUser, sha256, uploadRequest } from '../../support/purge-fixtures';
import { rememberSecret } from '../../support/secret-ledger';
import { createTestApp } from '../../support/test-app';

type Page<T> = { items: T[]; nextCursor: string | null };
type MessageItem = { id: number; subject: string; body: string; createdAt: string };
type FileItem = { id: number; name: string; sizeBytes: number; sha256: string; createdAt: string };

/** Reading a user's history back through the admin API: decrypted, paged, and refused when damaged. */
describe('history read API', () => {
  let app: INestApplication;
  let acme: BootstrappedOrganization;
  let other: BootstrappedOrganization;

  beforeAll(async () => {
    app = await createTestApp();
    acme = await bootstrapOrganization(app, 'read');
    other = await bootstrapOrganization(app, 'read-other');
    rememberSecret(acme.apiKey.secret, other.apiKey.secret);
  });

  afterAll(async () => {
    await app.close();
  });

  const get = (path: string, org = acme): request.Test => adminRequest(app, 'get', path, org.apiKey);

  async function upload(userId: string, name: string, content: Buffer): Promise<FileItem> {
    return (await uploadRequest(app, acme.apiKey, userId, name, content).expect(201)).body as FileItem;
  }

  /** The path of a file's stored (encrypted) bytes, under FILE_STORAGE_DIR. */
  async function storedPath(fileId: number): Promise<string> {
    const [row] = await app.get(DataSource).query<{ storage_key: string }[]>('SELECT storage_key FROM files WHERE id = ?', [fileId]);
    return join(app.get(Settings).fileStorage.directory, row.storage_key);
  }

  /** A signed GET over a plain socket: the raw body, and whether the response arrived complete. */
  function download(path: string): Promise<{ status: number; headers: IncomingHttpHeaders; body: Buffer; complete: boolean }> {
    const { port } = (app.getHttpServer() as Server).address() as AddressInfo;
    const headers = adminSignatureHeaders(acme.apiKey, { method: 'GET', pathWithQuery: path });
    return new Promise((resolve, reject) => {
      const outgoing = httpGet({ host: '127.0.0.1', port, path, headers }, (response) => {
        const chunks: Buffer[] = [];
        const done = (): void =>
          resolve({
            status: response.statusCode ?? 0,
            headers: response.headers,
            body: Buffer.concat(chunks),
            complete: response.complete,
          });
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', done);
        response.on('error', done);
      });
      outgoing.on('error', reject);
    });
  }

  it('pages messages newest first, decrypted, with an opaque cursor to the end', async () => {
    const user = await createUser(app, acme.organizationId);
    const sent = [];
    for (let index = 0; index < 5; index += 1) {
      sent.push({ subject: `Subject ${index} ✓`, body: `Body ${index}\nline two` });
      await adminRequest(app, 'post', `/admin/v1/users/${user.id}/messages`, acme.apiKey, sent[index]).expect(201);
    }
    const seen: MessageItem[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const query: string = cursor === null ? '?limit=2' : `?limit=2&cursor=${cursor}`;
      const page = (await get(`/admin/v1/users/${user.id}/messages${query}`).expect(200)).body as Page<MessageItem>;
      expect(page.items.length).toBeLessThanOrEqual(2);
      seen.push(...page.items);
      cursor = page.nextCursor;
      pages += 1;
    } while (cursor !== null);
    expect(pages).toBe(3);
    expect(seen.map(({ subject, body }) => ({ subject, body }))).toEqual([...sent].reverse());
    expect(seen[0]).toEqual({ id: expect.any(Number), subject: 'Subject 4 ✓', body: 'Body 4\nline two', createdAt: expect.any(String) });
    const all = (await get(`/admin/v1/users/${user.id}/messages`).expect(200)).body as Page<MessageItem>;
    expect(all.items).toHaveLength(5);
    expect(all.nextCursor).toBeNull();
  });

  it('lists files and streams their decrypted content with length, attachment name and ETag', async () => {
    const user = await createUser(app, acme.organizationId);
    const small = Buffer.from('quarterly numbers\n');
    const large = Buffer.alloc(3 * FILE_CHUNK_BYTES + 123);
    for (let index = 0; index < large.length; index += 1) {
      large[index] = (index * 31) % 251;
    }
    const first = await upload(user.id, 'numbers.txt', small);
    const second = await upload(user.id, 'résumé "final"/v2.bin', large);
    const page = (await get(`/admin/v1/users/${user.id}/files?limit=1`).expect(200)).body as Page<FileItem>;
    expect(page.items).toEqual([
      { id: second.id, name: 'résumé "final"/v2.bin', sizeBytes: large.length, sha256: sha256(large), createdAt: second.createdAt },
    ]);
    const rest = (await get(`/admin/v1/users/${user.id}/files?limit=1&cursor=${page.nextCursor}`).expect(200)).body as Page<FileItem>;
    expect(rest).toEqual({
      items: [{ id: first.id, name: 'numbers.txt', sizeBytes: small.length, sha256: sha256(small), createdAt: first.createdAt }],
      nextCursor: null,
    });

    const fetched = await download(`/admin/v1/users/${user.id}/files/${second.id}/content`);
    expect(fetched.status).toBe(200);
    expect(fetched.body.equals(large)).toBe(true);
    expect(fetched.complete).toBe(true);
    expect(fetched.headers['content-length']).toBe(String(large.length));
    expect(fetched.headers['content-type']).toBe('application/octet-stream');
    expect(fetched.headers.etag).toBe(`"${sha256(large)}"`);
    expect(fetched.headers['content-disposition']).toContain('attachment');
    expect(fetched.headers['content-disposition']).not.toContain('/');
    // Storage holds the encrypted form, of exactly the documented size.
    const stored = readFileSync(await storedPath(second.id));
    expect(stored.length).toBe(encryptedFileSize(large.length));
    expect(stored.includes(large.subarray(0, 64))).toBe(false);
  });

  it('refuses a bad limit or cursor with a clear 400', async () => {
    const user = await createUser(app, acme.organizationId);
    for (const query of ['limit=0', 'limit=201', 'limit=abc', 'limit=-1', 'cursor=%21%21', 'cursor=MTIz%3D', 'cursor=']) {
      for (const list of ['messages', 'files']) {
        const response = await get(`/admin/v1/users/${user.id}/${list}?${query}`).expect(400);
        expect(response.body.message).toMatch(/limit|cursor/);
      }
    }
  });

  it("answers 404 for an unknown user, another organization's user and their files, and a purged file", async () => {
    const stranger = await createUser(app, other.organizationId);
    const own = await createUser(app, acme.organizationId);
    const strangerFile = (await uploadRequest(app, other.apiKey, stranger.id, 'theirs.txt', Buffer.from('theirs')).expect(201))
      .body as FileItem;
    for (const userId of [stranger.id, 'no-such-user']) {
      await get(`/admin/v1/users/${userId}/messages`).expect(404);
      await get(`/admin/v1/users/${userId}/files`).expect(404);
      await get(`/admin/v1/users/${userId}/files/${strangerFile.id}/content`).expect(404);
    }
    await get(`/admin/v1/users/${own.id}/files/${strangerFile.id}/content`).expect(404);
    await get(`/admin/v1/users/${own.id}/files/not-a-number/content`).expect(404);
    const gone = await upload(own.id, 'gone.txt', Buffer.from('gone'));
    await writeDirectly(app, (dataSource) => dataSource.query('DELETE FROM files WHERE id = ?', [gone.id]));
    await get(`/admin/v1/users/${own.id}/files/${gone.id}/content`).expect(404);
  });

  it('a tampered small file, a truncated file and a wrong key id are a clear 422 before any byte, never a 500', async () => {
    const user = await createUser(app, acme.organizationId);
    const tampered = await upload(user.id, 'tampered.txt', Buffer.from('some content to tamper with'));
    const truncated = await upload(user.id, 'truncated.bin', Buffer.alloc(2 * FILE_CHUNK_BYTES, 1));
    const rekeyed = await upload(user.id, 'rekeyed.txt', Buffer.from('under another key id'));
    const tamperedPath = await storedPath(tampered.id);
    const bytes = readFileSync(tamperedPath);
    bytes[bytes.length - 20] ^= 0x01;
    writeFileSync(tamperedPath, bytes);
    const truncatedPath = await storedPath(truncated.id);
    writeFileSync(truncatedPath, readFileSync(truncatedPath).subarray(0, FILE_LAYOUT.headerBytes + FILE_CHUNK_BYTES + 16));
    const rekeyedPath = await storedPath(rekeyed.id);
    const header = readFileSync(rekeyedPath);
    header[10] ^= 0xff; // inside the data key id the header names
    writeFileSync(rekeyedPath, header);

    for (const [file, reason] of [
      [tampered, /modified/],
      [truncated, /cut short/],
      [rekeyed, /another data key/],
    ] as const) {
      const response = await get(`/admin/v1/users/${user.id}/files/${file.id}/content`).expect(422);
      expect(response.body).toMatchObject({ statusCode: 422, error: 'content_damaged' });
      expect(response.body.message).toMatch(reason);
      expect(response.body.message).toContain(`file ${file.id}`);
    }
    // A row naming a key the user never had: as damaged, not as shredded.
    await writeDirectly(app, (dataSource) =>
      dataSource.query('UPDATE files SET data_key_id = ? WHERE id = ?', ['00000000-0000-4000-8000-000000000000', rekeyed.id]),
    );
    expect((await get(`/admin/v1/users/${user.id}/files/${rekeyed.id}/content`).expect(422)).body.error).toBe('content_damaged');
  });

  it('damage deep in a large file aborts the transfer: the client never gets a complete, wrong body', async () => {
    const user = await createUser(app, acme.organizationId);
    const content = Buffer.alloc(4 * FILE_CHUNK_BYTES, 5);
    const file = await upload(user.id, 'large.bin', content);
    const path = await storedPath(file.id);
    const bytes = readFileSync(path);
    bytes[bytes.length - 100] ^= 0x01;
    writeFileSync(path, bytes);
    const fetched = await download(`/admin/v1/users/${user.id}/files/${file.id}/content`);
    // The first chunks authenticated, so the response had started: it is cut off, not completed.
    expect(fetched.status).toBe(200);
    expect(fetched.headers['content-length']).toBe(String(content.length));
    expect(fetched.complete).toBe(false);
    expect(fetched.body.length).toBeLessThan(content.length);
    expect(fetched.body.equals(content.subarray(0, fetched.body.length))).toBe(true);
    await get(`/admin/v1/users/${user.id}/messages`).expect(200);
  });
});
