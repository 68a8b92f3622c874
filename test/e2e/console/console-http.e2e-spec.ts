import { INestApplication } from '@nestjs/common';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiKeysService } from '../../../src/api-keys/api-keys.service';
import { Purge } from '../../../src/retention/purge.entity';
import { SsoConfigurationService } from '../../../src/sso/sso-configuration.service';
import { adminRequest } from '../../support/admin-api';
import { allRoutes } from '../../support/app-routes';
import { consoleGet, consolePost, CookieJar, csrfTokenIn, signInLinkToken, signInWithLink } from '../../support/console';
import { writeDirectly } from '../../support/direct-writes';
import { everyHostileCase, send } from '../../support/hostile-requests';
import { runCli } from '../../support/processes';
import { waitForPurge } from '../../support/purge-fixtures';
import { TestIdentityProvider } from '../../support/saml-idp';
import { auditEvents, postAcs, provision, sessionCookieOf, setActive, SsoOrganization, ssoOrganization, trustIdp } from '../../support/sso';
import { createTestApp } from '../../support/test-app';

const MINUTE = 60_000;

describe('web console over plain HTTP', () => {
  let app: INestApplication;
  let org: SsoOrganization;
  let other: SsoOrganization;
  let adminEmail: string;

  beforeAll(async () => {
    app = await createTestApp();
    org = await ssoOrganization(app, 'console');
    other = await ssoOrganization(app, 'elsewhere');
    adminEmail = `admin@${org.hostname}`;
  });

  afterAll(async () => {
    await app?.close();
  });

  const keysOfOrganization = async (): Promise<number> => (await app.get(ApiKeysService).list(org.organizationId)).length;

  it('sends signed-out visitors to /login, which says SSO is not configured, with a strict CSP and no caching', async () => {
    const home = await consoleGet(app, org.hostname, '/', new CookieJar()).expect(303);
    expect(home.headers.location).toBe('/login');
    const admin = await consoleGet(app, org.hostname, '/admin/users', new CookieJar()).expect(303);
    expect(admin.headers.location).toBe('/login');

    const login = await consoleGet(app, org.hostname, '/login', new CookieJar()).expect(200);
    expect(login.headers['content-type']).toMatch(/^text\/html/);
    expect(login.text).toContain('Org console');
    expect(login.text).toContain('Single sign-on is not configured for this organization yet');
    expect(login.text).not.toContain('Login using Single Sign-on');
    const csp = String(login.headers['content-security-policy']);
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).toContain("script-src 'self'");
    expect(csp).not.toContain('unsafe-inline');
    expect(login.headers['cache-control']).toBe('no-store');
  });

  it('answers 404 on a host that names no organization', async () => {
    await consoleGet(app, 'nobody.localhost', '/login', new CookieJar()).expect(404);
  });

  it('opens an administrator session with a sign-in link, once; the link is audited when issued and used', async () => {
    const token = await signInLinkToken(app, org.hostname, adminEmail);
    const { jar, response } = await signInWithLink(app, org.hostname, token);
    expect(response.status, response.text).toBe(303);
    expect(response.headers.location).toBe('/');
    const home = await consoleGet(app, org.hostname, '/', jar).expect(200);
    expect(home.text).toContain('Signed in as Ada Admin');

    const again = await signInWithLink(app, org.hostname, token);
    expect(again.response.status).toBe(401);
    expect(again.response.text).toContain('This sign-in link is not valid here');
    expect(again.jar.has('ss_session')).toBe(false);

    const types = (await auditEvents(app, org)).map((event) => event.type);
    expect(types).toContain('sign_in_link.issued');
    expect(types).toContain('sign_in_link.used');
  });

  it('refuses an expired link, and a link presented on another organization’s host', async () => {
    const expired = await signInLinkToken(app, org.hostname, adminEmail, new Date(Date.now() - 11 * MINUTE));
    expect((await signInWithLink(app, org.hostname, expired)).response.status).toBe(401);
    const foreign = await signInLinkToken(app, org.hostname, adminEmail);
    expect((await signInWithLink(app, other.hostname, foreign)).response.status).toBe(401);
    // Refused elsewhere, the link is still good where it belongs.
    expect((await signInWithLink(app, org.hostname, foreign)).response.status).toBe(303);
  });

  it('uses a link once even when two requests race for it', async () => {
    const token = await signInLinkToken(app, org.hostname, adminEmail);
    const results = await Promise.all([signInWithLink(app, org.hostname, token), signInWithLink(app, org.hostname, token)]);
    expect(results.map((result) => result.response.status).sort()).toEqual([303, 401]);
  });

  it('refuses state-changing posts without a valid CSRF token, writing nothing', async () => {
    const { jar } = await signInWithLink(app, org.hostname, await signInLinkToken(app, org.hostname, adminEmail));
    const before = await keysOfOrganization();
    const account = await consoleGet(app, org.hostname, '/account', jar).expect(200);
    jar.take(account);

    const missing = await consolePost(app, org.hostname, '/account/api-keys', jar, { description: 'no token' });
    expect(missing.status).toBe(403);
    expect(missing.headers['content-type']).toMatch(/^text\/html/);
    expect(missing.text).toContain('This form has expired');
    const json = await request(app.getHttpServer())
      .post('/account/api-keys')
      .set('Host', org.hostname)
      .set('Cookie', jar.header)
      .send({ description: 'json' });
    expect(json.status).toBe(403);
    // A token rendered for another session is refused in this one.
    const { jar: otherJar } = await signInWithLink(app, org.hostname, await signInLinkToken(app, org.hostname, adminEmail));
    const othersToken = csrfTokenIn((await consoleGet(app, org.hostname, '/account', otherJar).expect(200)).text);
    const crossed = await consolePost(app, org.hostname, '/account/api-keys', jar, { description: 'crossed', _csrf: othersToken });
    expect(crossed.status).toBe(403);
    expect(await keysOfOrganization()).toBe(before);

    const made = await consolePost(app, org.hostname, '/account/api-keys', jar, {
      description: 'console key',
      _csrf: csrfTokenIn(account.text),
    });
    expect(made.status, made.text).toBe(200);
    expect(made.headers['cache-control']).toBe('no-store');
    expect(made.text).toContain('it will not be shown again');
    expect(await keysOfOrganization()).toBe(before + 1);
  });

  it('shows a SCIM password once: a reload of the account page never shows it again', async () => {
    const { jar } = await signInWithLink(app, org.hostname, await signInLinkToken(app, org.hostname, adminEmail));
    const account = await consoleGet(app, org.hostname, '/account', jar).expect(200);
    jar.take(account);
    const made = await consolePost(app, org.hostname, '/account/api-keys', jar, {
      description: 'for scim',
      _csrf: csrfTokenIn(account.text),
    }).expect(200);
    // The page that showed the secret renewed the CSRF secret: the form that asked for it is stale.
    jar.take(made);
    const stale = await consolePost(app, org.hostname, '/account/api-keys', jar, {
      description: 'resubmitted',
      _csrf: csrfTokenIn(account.text),
    });
    expect(stale.status).toBe(403);
    const keyId = /action="\/account\/api-keys\/([^/"]+)\/scim-credentials"/.exec(made.text)?.[1];
    expect(keyId).toBeDefined();
    const shown = await consolePost(app, org.hostname, `/account/api-keys/${keyId}/scim-credentials`, jar, {
      _csrf: csrfTokenIn(made.text),
    }).expect(200);
    const password = /id="scim-password" value="([^"]+)"/.exec(shown.text)?.[1];
    expect(password).toBeDefined();
    expect(shown.text).toContain('SCIM API Username');
    expect(shown.text).toContain('SCIM Base URL');
    const reloaded = await consoleGet(app, org.hostname, '/account', jar).expect(200);
    expect(reloaded.text).not.toContain(password!);
    expect(reloaded.text).not.toContain('SCIM API Password');
  });

  it('gives a signed-in non-administrator 403 pages for every admin screen and action', async () => {
    const idp = await TestIdentityProvider.create('console');
    await trustIdp(app, org, idp);
    const userName = `grace@${org.hostname}`;
    await provision(app, org, userName);
    const jar = new CookieJar();
    const signedIn = await postAcs(app, org.hostname, await idp.response(org.sp, { nameId: userName }));
    expect(signedIn.status).toBe(303);
    const [name, value] = sessionCookieOf(signedIn).split('=');
    jar.take({ headers: { 'set-cookie': [`${name}=${value}`] } } as unknown as request.Response);

    const home = await consoleGet(app, org.hostname, '/', jar).expect(200);
    expect(home.text).toContain('Signed in as Grace Hopper');
    expect(home.text).not.toContain('/admin/users');
    for (const path of ['/admin/users', '/admin/purges', '/admin/sso', '/admin/sso/disable', '/admin/audit']) {
      const page = await consoleGet(app, org.hostname, path, jar);
      expect(page.status, path).toBe(403);
      expect(page.text).toContain('Administrators only');
    }
    const before = await keysOfOrganization();
    const account = await consoleGet(app, org.hostname, '/account', jar).expect(200);
    jar.take(account);
    expect(account.text).not.toContain('Generate New API Key');
    await consolePost(app, org.hostname, '/account/api-keys', jar, { _csrf: csrfTokenIn(account.text) }).expect(403);
    expect(await keysOfOrganization()).toBe(before);
    await adminRequest(app, 'delete', '/admin/v1/organization/sso', org.apiKey).expect(204);
  });

  it('prints a sign-in link from the CLI, with help text, and refuses a non-administrator', async () => {
    const help = await runCli(['sign-in-link', '--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('--hostname HOST --email EMAIL');
    const printed = await runCli(['sign-in-link', '--hostname', org.hostname, '--email', adminEmail]);
    expect(printed.code, printed.stderr).toBe(0);
    const { url } = JSON.parse(printed.stdout) as { url: string };
    expect(url).toMatch(new RegExp(`^http://${org.hostname.replaceAll('.', '\\.')}:\\d+/login/link#[A-Za-z0-9_-]{43}$`));
    const token = new URL(url).hash.slice(1);
    expect((await signInWithLink(app, org.hostname, token)).response.status).toBe(303);

    const refused = await runCli(['sign-in-link', '--hostname', org.hostname, '--email', `grace@${org.hostname}`]);
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toContain('is not an active administrator');
    const missing = await runCli(['sign-in-link', '--hostname', org.hostname]);
    expect(missing.code).not.toBe(0);
    expect(missing.stderr).toContain('email');
  });

  it('refuses bad input on the admin screens with a clear page, changing nothing', async () => {
    const { jar } = await signInWithLink(app, org.hostname, await signInLinkToken(app, org.hostname, adminEmail));
    const ssoPage = await consoleGet(app, org.hostname, '/admin/sso', jar).expect(200);
    jar.take(ssoPage);
    const token = csrfTokenIn(ssoPage.text);

    const badMetadata = await consolePost(app, org.hostname, '/admin/sso', jar, { _csrf: token, idpMetadataXml: '<nope/>' });
    expect(badMetadata.status).toBe(400);
    expect(badMetadata.text).toContain('role="alert"');
    expect(badMetadata.text).toContain('Not configured');
    const sso = await adminRequest(app, 'get', '/admin/v1/organization/sso', org.apiKey).expect(200);
    expect((sso.body as { enabled: boolean }).enabled).toBe(false);

    const userId = await provision(app, org, `ken@${org.hostname}`);
    const badRole = await consolePost(app, org.hostname, `/admin/users/${userId}/role`, jar, { _csrf: token, role: 'root' });
    expect(badRole.status).toBe(400);
    expect(badRole.text).toContain('Choose the role admin or user.');
    const unknown = await consolePost(app, org.hostname, '/admin/users/00000000-0000-4000-8000-000000000000/sessions/revoke', jar, {
      _csrf: token,
    });
    expect(unknown.status).toBe(404);
    expect(unknown.text).toContain('User not found.');

    // Another organization's key is not this administrator's to revoke.
    const foreignKey = (await app.get(ApiKeysService).list(other.organizationId))[0];
    const refused = await consolePost(app, org.hostname, `/account/api-keys/${foreignKey.id}/revoke`, jar, { _csrf: token });
    expect(refused.status).toBe(404);
    expect((await app.get(ApiKeysService).list(other.organizationId))[0].revokedAt).toBeNull();
  });

  it('grants and revokes administrator, and ends a user’s sessions, from /admin/users', async () => {
    const idp = await TestIdentityProvider.create('roles');
    await trustIdp(app, org, idp);
    const userName = `ada2@${org.hostname}`;
    const userId = await provision(app, org, userName);
    const { jar } = await signInWithLink(app, org.hostname, await signInLinkToken(app, org.hostname, adminEmail));

    const users = await consoleGet(app, org.hostname, `/admin/users?q=${encodeURIComponent(userName)}&state=active`, jar).expect(200);
    jar.take(users);
    expect(users.text).toContain(userName);
    expect(users.text).toContain('1 user');
    const granted = await consolePost(app, org.hostname, `/admin/users/${userId}/role`, jar, {
      _csrf: csrfTokenIn(users.text),
      role: 'admin',
    });
    expect(`${granted.status} ${String(granted.headers.location)}`).toBe('303 /admin/users?notice=role-granted');
    const asAdmin = await adminRequest(app, 'get', `/admin/v1/users/${userId}`, org.apiKey).expect(200);
    expect((asAdmin.body as { role: string }).role).toBe('admin');
    await consolePost(app, org.hostname, `/admin/users/${userId}/role`, jar, { _csrf: csrfTokenIn(users.text), role: 'user' }).expect(303);
    const asUser = await adminRequest(app, 'get', `/admin/v1/users/${userId}`, org.apiKey).expect(200);
    expect((asUser.body as { role: string }).role).toBe('user');
    const types = (await auditEvents(app, org)).map((event) => event.type);
    expect(types).toContain('admin.granted');
    expect(types).toContain('admin.revoked');

    const signedIn = await postAcs(app, org.hostname, await idp.response(org.sp, { nameId: userName }));
    const userJar = new CookieJar();
    userJar.take(signedIn);
    await consoleGet(app, org.hostname, '/', userJar).expect(200);
    await consolePost(app, org.hostname, `/admin/users/${userId}/sessions/revoke`, jar, { _csrf: csrfTokenIn(users.text) }).expect(303);
    const after = await consoleGet(app, org.hostname, '/', userJar).expect(303);
    expect(after.headers.location).toBe('/login');
    await adminRequest(app, 'delete', '/admin/v1/organization/sso', org.apiKey).expect(204);
  });

  it("answers 404 to an administrator of one organization for every console action on another's ids, changing nothing of theirs", async () => {
    const otherUser = await provision(app, other, `kept@${other.hostname}`);
    const doomed = await provision(app, other, `gone@${other.hostname}`);
    await setActive(app, other, doomed, false);
    const purges = (await adminRequest(app, 'get', '/admin/v1/purges', other.apiKey).expect(200)).body as { items: { id: string }[] };
    const idsOfOther: Record<string, string> = { 'api-keys': other.apiKey.id, users: otherUser, purges: purges.items[0].id };
    const stateOfOther = async (): Promise<unknown> => ({
      keys: (await app.get(ApiKeysService).list(other.organizationId)).map((key) => [key.id, key.revokedAt, key.scimCredentialActive]),
      users: (
        (await adminRequest(app, 'get', '/admin/v1/users?limit=200', other.apiKey).expect(200)).body as {
          items: { id: string; role: string }[];
        }
      ).items.map((user) => [user.id, user.role]),
      audit: (await auditEvents(app, other)).length,
    });
    const before = await stateOfOther();

    const { jar } = await signInWithLink(app, org.hostname, await signInLinkToken(app, org.hostname, adminEmail));
    const page = await consoleGet(app, org.hostname, '/admin/users', jar).expect(200);
    jar.take(page);
    const routes = allRoutes(app).filter((route) => route.auth === 'console' && route.method === 'POST' && route.path.includes('/:'));
    expect(routes.map((route) => route.path).sort()).toEqual([
      '/account/api-keys/:id/revoke',
      '/account/api-keys/:id/scim-credentials',
      '/admin/purges/:id/retry',
      '/admin/users/:id/role',
      '/admin/users/:id/sessions/revoke',
    ]);
    for (const route of routes) {
      const kind = Object.keys(idsOfOther).find((candidate) => route.path.includes(`/${candidate}/`))!;
      const response = await consolePost(app, org.hostname, route.path.replace(':id', idsOfOther[kind]), jar, {
        _csrf: csrfTokenIn(page.text),
        role: 'admin',
      });
      expect(response.status, route.path).toBe(404);
    }
    expect(await stateOfOther()).toEqual(before);
  });

  it('never answers a 5xx or shows internals to hostile requests on any console route', async () => {
    const routes = allRoutes(app).filter((route) => route.auth === 'console');
    for (const { name, request: hostile } of everyHostileCase(
      routes,
      routes.filter((route) => route.method === 'POST'),
    )) {
      const answer = await send(app, hostile, { scimAuthorization: 'Basic Og==', apiKey: org.apiKey });
      expect(answer.status, `${name} → ${answer.status}: ${answer.text.slice(0, 200)}`).toBeLessThan(500);
      expect(answer.text, name).not.toMatch(/QueryFailedError|SQLITE_|\bER_[A-Z_]{3,}|node_modules|\bat [\w.<>]+ \(/);
      expect(answer.text.includes(org.apiKey.secret), name).toBe(false);
    }
  });

  it('retries a failed purge from /admin/purges, and refuses to retry one that is not failed', async () => {
    const userId = await provision(app, org, `retry@${org.hostname}`);
    await setActive(app, org, userId, false);
    const purgeId = (
      (await adminRequest(app, 'get', `/admin/v1/purges?userId=${userId}`, org.apiKey).expect(200)).body as { items: { id: string }[] }
    ).items[0].id;
    const completed = await waitForPurge(app, org.apiKey, purgeId);
    // As a purge that ran out of attempts is left (test/e2e/purge/purge-storage-fault.e2e-spec.ts makes one for real).
    await writeDirectly(app, (dataSource) =>
      dataSource.getRepository(Purge).update({ id: purgeId }, { state: 'failed', completedAt: null, receiptDigest: null }),
    );

    const { jar } = await signInWithLink(app, org.hostname, await signInLinkToken(app, org.hostname, adminEmail));
    const page = await consoleGet(app, org.hostname, '/admin/purges?state=failed', jar).expect(200);
    jar.take(page);
    expect(page.text).toContain(`action="/admin/purges/${purgeId}/retry"`);
    const retried = await consolePost(app, org.hostname, `/admin/purges/${purgeId}/retry`, jar, { _csrf: csrfTokenIn(page.text) });
    expect(`${retried.status} ${String(retried.headers.location)}`).toBe('303 /admin/purges?notice=purge-retried');
    const again = await waitForPurge(app, org.apiKey, purgeId);
    expect(again.state).toBe('completed');
    expect(again.attempts).toBeGreaterThan(completed.attempts);

    const refused = await consolePost(app, org.hostname, `/admin/purges/${purgeId}/retry`, jar, { _csrf: csrfTokenIn(page.text) });
    expect(refused.status).toBe(409);
    expect(refused.text).toContain('Only failed purges can be retried; this one is completed.');
  });

  it('shows the purge policy, the breaker warning, and held and scheduled purges on /admin/purges', async () => {
    const guarded = await ssoOrganization(app, 'guarded');
    await adminRequest(app, 'put', '/admin/v1/organization/purge-policy', guarded.apiKey, {
      graceSeconds: 60,
      massDeactivation: { enabled: true, threshold: 1, windowSeconds: 600 },
    }).expect(200);
    for (const name of ['first', 'second']) {
      await setActive(app, guarded, await provision(app, guarded, `${name}@${guarded.hostname}`), false);
    }
    const { jar } = await signInWithLink(app, guarded.hostname, await signInLinkToken(app, guarded.hostname, `admin@${guarded.hostname}`));
    const page = await consoleGet(app, guarded.hostname, '/admin/purges', jar).expect(200);
    expect(page.text).toContain('Grace period: 60 s after the deactivation.');
    expect(page.text).toContain('holds purges beyond 1 deactivation(s) within 600 s');
    expect(page.text).toContain('1 purge(s) held by the mass-deactivation breaker.');
    expect(page.text).toContain('Held: mass deactivation');
    expect(page.text).toContain('Runs after');
  });

  it('disables single sign-on from /admin/sso after a confirm step, audited as the admin API does; every session ends', async () => {
    const sso = await ssoOrganization(app, 'disabling');
    const idp = await TestIdentityProvider.create('disabling');
    await trustIdp(app, sso, idp);
    const enabled = (): Promise<boolean> => app.get(SsoConfigurationService).isEnabled(sso.organizationId);
    const userName = `user@${sso.hostname}`;
    await provision(app, sso, userName);
    const signedIn = await postAcs(app, sso.hostname, await idp.response(sso.sp, { nameId: userName }));
    const userJar = new CookieJar();
    userJar.take({ headers: { 'set-cookie': [sessionCookieOf(signedIn)] } } as unknown as request.Response);
    await consoleGet(app, sso.hostname, '/', userJar).expect(200);

    const { jar } = await signInWithLink(app, sso.hostname, await signInLinkToken(app, sso.hostname, `admin@${sso.hostname}`));
    const settings = await consoleGet(app, sso.hostname, '/admin/sso', jar).expect(200);
    expect(settings.text).toContain('href="/admin/sso/disable"');
    const confirm = await consoleGet(app, sso.hostname, '/admin/sso/disable', jar).expect(200);
    jar.take(confirm);
    expect(confirm.text).toContain('ends <strong>every session of your organization at once</strong>');
    const token = csrfTokenIn(confirm.text);

    // No confirmation, or no valid token: refused, nothing changed.
    const unconfirmed = await consolePost(app, sso.hostname, '/admin/sso/disable', jar, { _csrf: token });
    expect(unconfirmed.status).toBe(400);
    expect(unconfirmed.text).toContain('nothing was changed');
    await consolePost(app, sso.hostname, '/admin/sso/disable', jar, { confirm: 'disable' }).expect(403);
    await consolePost(app, sso.hostname, '/admin/sso/disable', jar, { confirm: 'disable', _csrf: 'forged' }).expect(403);
    expect(await enabled()).toBe(true);
    await consoleGet(app, sso.hostname, '/', userJar).expect(200);

    const disabled = await consolePost(app, sso.hostname, '/admin/sso/disable', jar, { confirm: 'disable', _csrf: token });
    expect(`${disabled.status} ${String(disabled.headers.location)}`).toBe('303 /login');
    expect(await enabled()).toBe(false);
    expect((await consoleGet(app, sso.hostname, '/', userJar).expect(303)).headers.location).toBe('/login');
    expect((await consoleGet(app, sso.hostname, '/', jar).expect(303)).headers.location).toBe('/login');
    const events = await auditEvents(app, sso);
    const adminId = events.find((event) => event.type === 'sso.configured' && event.detail === 'disabled')?.actor.userId;
    expect(adminId).toEqual(expect.any(String));
    expect(events.find((event) => event.type === 'session.revoked' && event.detail === 'sso_disabled:2')?.actor.userId).toBe(adminId);

    // Already disabled: the confirm page says so, and a post changes nothing (no recovery session ends).
    const { jar: again } = await signInWithLink(app, sso.hostname, await signInLinkToken(app, sso.hostname, `admin@${sso.hostname}`));
    const nothing = await consoleGet(app, sso.hostname, '/admin/sso/disable', again).expect(200);
    again.take(nothing);
    expect(nothing.text).toContain('there is nothing to disable');
    const refused = await consolePost(app, sso.hostname, '/admin/sso/disable', again, {
      confirm: 'disable',
      _csrf: csrfTokenIn(nothing.text),
    });
    expect(refused.status).toBe(409);
    await consoleGet(app, sso.hostname, '/', again).expect(200);
  });
});
