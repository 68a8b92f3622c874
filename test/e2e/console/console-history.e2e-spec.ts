import { INestApplication } from '@nestjs/common';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HistoryRepository } from '../../../src/history/history.repository';
import { BlobStorage } from '../../../src/storage/blob-storage';
import { adminRequest } from '../../support/admin-api';
import { consoleGet, CookieJar, signInLinkToken, signInWithLink } from '../../support/console';
import { uploadRequest, waitForPurge } from '../../support/purge-fixtures';
import { TestIdentityProvider } from '../../support/saml-idp';
import { postAcs, provision, sessionCookieOf, setActive, SsoOrganization, ssoOrganization, trustIdp } from '../../support/sso';
import { createTestApp } from '../../support/test-app';

/** A binary body, as supertest buffers it. */
function binary(test: request.Test): request.Test {
  return test.buffer(true).parse((response, done) => {
    const chunks: Buffer[] = [];
    response.on('data', (chunk: Buffer) => chunks.push(chunk));
    response.on('end', () => done(null, Buffer.concat(chunks)));
  });
}

/** A page's own content, without the per-response CSRF token of its sign-out form. */
function mainOf(html: string): string {
  return html.slice(html.indexOf('<main'));
}

describe('console home: the signed-in user’s own history and downloads', () => {
  let app: INestApplication;
  let org: SsoOrganization;
  let other: SsoOrganization;
  let idp: TestIdentityProvider;

  beforeAll(async () => {
    app = await createTestApp();
    org = await ssoOrganization(app, 'history');
    other = await ssoOrganization(app, 'otherhistory');
    idp = await TestIdentityProvider.create('history');
    await trustIdp(app, org, idp);
  });

  afterAll(async () => {
    await app?.close();
  });

  async function signIn(userName: string): Promise<CookieJar> {
    const signedIn = await postAcs(app, org.hostname, await idp.response(org.sp, { nameId: userName }));
    expect(signedIn.status).toBe(303);
    const [name, value] = sessionCookieOf(signedIn).split('=');
    const jar = new CookieJar();
    jar.take({ headers: { 'set-cookie': [`${name}=${value}`] } } as unknown as request.Response);
    return jar;
  }

  async function upload(userId: string, name: string, content: Buffer, credentials = org.apiKey): Promise<number> {
    return (await uploadRequest(app, credentials, userId, name, content).expect(201)).body.id as number;
  }

  async function message(userId: string, subject: string, body: string): Promise<number> {
    return (await adminRequest(app, 'post', `/admin/v1/users/${userId}/messages`, org.apiKey, { subject, body }).expect(201)).body
      .id as number;
  }

  it('lists messages and files with sizes and dates, and downloads a file’s exact bytes as an attachment', async () => {
    const userName = `lister@${org.hostname}`;
    const userId = await provision(app, org, userName);
    const content = Buffer.from(Array.from({ length: 3000 }, (_, index) => (index * 7) % 256));
    const fileId = await upload(userId, 'report.bin', content);
    const messageId = await message(userId, 'Quarterly <b>numbers</b>', 'Line one\n<script>alert(1)</script>');
    const jar = await signIn(userName);

    const home = await consoleGet(app, org.hostname, '/', jar).expect(200);
    expect(home.text).toContain('Signed in as Grace Hopper');
    expect(home.text).toContain('1 message and 1 file');
    expect(home.text).toContain('report.bin');
    expect(home.text).toContain('2.9 KiB');
    expect(home.text).toMatch(/\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2} UTC/);
    expect(home.text).toContain(`href="/files/${fileId}"`);
    expect(home.text).toContain(`href="/messages/${messageId}"`);
    expect(home.text).toContain('Quarterly &lt;b&gt;numbers&lt;/b&gt;');
    expect(home.text).not.toContain('<b>numbers</b>');

    const download = await binary(consoleGet(app, org.hostname, `/files/${fileId}`, jar)).expect(200);
    expect(Buffer.compare(download.body as Buffer, content)).toBe(0);
    expect(download.headers['content-type']).toBe('application/octet-stream');
    expect(download.headers['content-disposition']).toBe('attachment; filename=report.bin');
    expect(download.headers['x-content-type-options']).toBe('nosniff');
    expect(download.headers['cache-control']).toBe('no-store');
    expect(download.headers['content-length']).toBe(String(content.length));

    const read = await consoleGet(app, org.hostname, `/messages/${messageId}`, jar).expect(200);
    expect(read.text).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(read.text).not.toContain('<script>alert(1)');
    expect(read.headers['content-security-policy']).toContain("script-src 'self'");
  });

  it('pages a long history newest first, 20 a page', async () => {
    const userName = `pager@${org.hostname}`;
    const userId = await provision(app, org, userName);
    for (let index = 0; index < 22; index += 1) {
      await message(userId, `subject-${String(index).padStart(2, '0')}`, 'b');
    }
    const jar = await signIn(userName);
    const first = await consoleGet(app, org.hostname, '/', jar).expect(200);
    expect(first.text).toContain('Page 1 of 2');
    expect(first.text).toContain('href="/?page=2"');
    // Same-second messages are listed by id, newest first.
    expect(first.text.indexOf('subject-21')).toBeLessThan(first.text.indexOf('subject-02'));
    expect(first.text).not.toContain('subject-01');
    const second = await consoleGet(app, org.hostname, '/?page=2', jar).expect(200);
    expect(second.text).toContain('subject-00');
    expect(second.text).toContain('subject-01');
    expect(second.text).not.toContain('subject-02');
  });

  it('names a hostile file safely: quotes, CR/LF and unicode never break the header', async () => {
    const userName = `hostile@${org.hostname}`;
    const userId = await provision(app, org, userName);
    const hostile = 'a"b\r\nSet-Cookie: pwned=1\r\n\\..\\é日本.txt';
    const fileId = await upload(userId, hostile, Buffer.from('x'));
    const jar = await signIn(userName);
    const download = await binary(consoleGet(app, org.hostname, `/files/${fileId}`, jar)).expect(200);
    expect(download.headers['set-cookie']).toBeUndefined();
    const disposition = String(download.headers['content-disposition']);
    expect(disposition).toBe(
      `attachment; filename="a\\"b__Set-Cookie: pwned=1___.._???.txt"; filename*=UTF-8''a%22b__Set-Cookie%3A%20pwned%3D1___.._%C3%A9%E6%97%A5%E6%9C%AC.txt`,
    );
    const home = await consoleGet(app, org.hostname, '/', jar).expect(200);
    expect(home.text).toContain('a&quot;b');
  });

  it('answers 404 for another user’s file or message, another organization’s, and ids that are not ids, revealing nothing', async () => {
    const owner = await provision(app, org, `owner@${org.hostname}`);
    const fileId = await upload(owner, 'secret-plans.txt', Buffer.from('secret'));
    const messageId = await message(owner, 'Secret subject', 'secret body');
    const strangerInOtherOrg = await provision(app, other, `stranger@${other.hostname}`);
    const foreignFile = await upload(strangerInOtherOrg, 'foreign.txt', Buffer.from('foreign'), other.apiKey);
    await provision(app, org, `neighbour@${org.hostname}`);
    const jar = await signIn(`neighbour@${org.hostname}`);
    const missing = await consoleGet(app, org.hostname, '/files/999999999', jar).expect(404);
    for (const path of [
      `/files/${fileId}`,
      `/messages/${messageId}`,
      `/files/${foreignFile}`,
      '/files/0',
      '/files/abc',
      '/files/1e3',
      '/messages/-1',
      `/files/${'9'.repeat(40)}`,
    ]) {
      const answer = await consoleGet(app, org.hostname, path, jar);
      expect(answer.status, path).toBe(404);
      expect(mainOf(answer.text), path).toBe(mainOf(missing.text));
    }
    // An administrator sees no one else's files either.
    const { jar: admin } = await signInWithLink(app, org.hostname, await signInLinkToken(app, org.hostname, `admin@${org.hostname}`));
    await consoleGet(app, org.hostname, `/files/${fileId}`, admin).expect(404);
    await consoleGet(app, org.hostname, `/messages/${messageId}`, admin).expect(404);
  });

  it('sends a signed-out visitor to /login instead of any file or message', async () => {
    const owner = await provision(app, org, `signedout@${org.hostname}`);
    const fileId = await upload(owner, 'a.txt', Buffer.from('a'));
    for (const path of [`/files/${fileId}`, `/messages/1`, '/?page=2']) {
      const answer = await consoleGet(app, org.hostname, path, new CookieJar()).expect(303);
      expect(answer.headers.location).toBe('/login');
    }
  });

  it('answers 404 for a file a purge removed: after deactivation and reactivation the old id is gone', async () => {
    const userName = `purged@${org.hostname}`;
    const userId = await provision(app, org, userName);
    const fileId = await upload(userId, 'gone.txt', Buffer.from('soon gone'));
    const before = await signIn(userName);
    await consoleGet(app, org.hostname, `/files/${fileId}`, before).expect(200);

    await setActive(app, org, userId, false);
    const purgeId = (
      (await adminRequest(app, 'get', `/admin/v1/purges?userId=${userId}`, org.apiKey).expect(200)).body as { items: { id: string }[] }
    ).items[0].id;
    await waitForPurge(app, org.apiKey, purgeId);
    // Deactivation ended the session.
    expect((await consoleGet(app, org.hostname, `/files/${fileId}`, before).expect(303)).headers.location).toBe('/login');

    await setActive(app, org, userId, true);
    const after = await signIn(userName);
    await consoleGet(app, org.hostname, `/files/${fileId}`, after).expect(404);
    const home = await consoleGet(app, org.hostname, '/', after).expect(200);
    expect(home.text).toContain('Your history is empty.');
    expect(home.text).not.toContain('gone.txt');
  });

  it('answers 404 for a file whose bytes are gone while its row remains (a purge deletes bytes first)', async () => {
    const userName = `halfway@${org.hostname}`;
    const userId = await provision(app, org, userName);
    const fileId = await upload(userId, 'halfway.txt', Buffer.from('bytes'));
    const file = await app.get(HistoryRepository, { strict: false }).ownFile({ organizationId: org.organizationId, userId }, fileId);
    expect(await app.get(BlobStorage, { strict: false }).delete(file!.storageKey)).toBe(true);
    const jar = await signIn(userName);
    const answer = await consoleGet(app, org.hostname, `/files/${fileId}`, jar).expect(404);
    expect(answer.text).toContain('There is no such item in your history.');
  });
});
