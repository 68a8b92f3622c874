import { INestApplication } from '@nestjs/common';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readDate } from '../../../src/database/sql-values';
import { sessionTokenHash } from '../../../src/sessions/session-token';
import { SessionsService } from '../../../src/sessions/sessions.service';
import { adminRequest } from '../../support/admin-api';
import { writeDirectly } from '../../support/direct-writes';
import { TestIdentityProvider } from '../../support/saml-idp';
import {
  auditEvents,
  getSession,
  postAcs,
  provision,
  sessionCookieOf,
  setActive,
  SsoOrganization,
  ssoOrganization,
  trustIdp,
} from '../../support/sso';
import { createTestApp } from '../../support/test-app';

const MINUTE = 60_000;

describe('sign-in sessions', () => {
  let app: INestApplication;
  let idp: TestIdentityProvider;
  let org: SsoOrganization;

  beforeAll(async () => {
    app = await createTestApp();
    idp = await TestIdentityProvider.create();
    org = await ssoOrganization(app, 'sessions');
    await trustIdp(app, org, idp);
  });

  afterAll(async () => {
    await app?.close();
  });

  async function signedIn(userName: string): Promise<{ cookie: string; token: string; setCookie: string }> {
    const response = await postAcs(app, org.hostname, await idp.response(org.sp, { nameId: userName }));
    expect(response.status, response.text).toBe(303);
    const cookie = sessionCookieOf(response);
    const setCookie = (response.headers['set-cookie'] as unknown as string[])[0];
    return { cookie, token: cookie.split('=', 2)[1], setCookie };
  }

  // Sessions' stored form (hashed tokens, revocation reasons) and states no API can reach (a user flipped
  // behind the service's back, a session aged) are set and read in the database.
  const sql = <T>(query: string, values: unknown[]): Promise<T[]> =>
    writeDirectly(app, (dataSource) => dataSource.query<T[]>(query, values));

  it('sets an HttpOnly, SameSite=Lax cookie for the whole host, lasting the absolute lifetime; not Secure over http', async () => {
    await provision(app, org, 'cookie@sessions.test');
    const { setCookie, token } = await signedIn('cookie@sessions.test');
    expect(setCookie).toMatch(/^ss_session=[A-Za-z0-9_-]{43};/);
    expect(setCookie).toContain('HttpOnly');
    expect(setCookie).toContain('SameSite=Lax');
    expect(setCookie).toContain('Path=/');
    expect(setCookie).toContain('Max-Age=28800');
    expect(setCookie).not.toContain('Secure');
    expect(setCookie).not.toContain('Domain');
    // Only the token's hash is stored.
    const rows = await sql<{ token_hash: string }>('SELECT token_hash FROM sessions WHERE token_hash = ?', [sessionTokenHash(token)]);
    expect(rows).toHaveLength(1);
    expect(await sql('SELECT id FROM sessions WHERE token_hash = ?', [token])).toHaveLength(0);
  });

  it('refuses a request without a session, with an unknown or malformed token, and clears a dead cookie', async () => {
    await request(app.getHttpServer()).get('/session').set('Host', org.hostname).expect(401);
    const unknown = await getSession(app, org.hostname, `ss_session=${'A'.repeat(43)}`).expect(401);
    expect(String(unknown.headers['set-cookie'])).toContain('ss_session=; Max-Age=0');
    await getSession(app, org.hostname, 'ss_session=%ZZ%; other=1').expect(401);
  });

  it('takes a form on the ACS only: a form posted to another route is refused before anything else', async () => {
    const response = await request(app.getHttpServer())
      .post('/session/logout')
      .set('Host', org.hostname)
      .type('form')
      .send('SAMLResponse=x');
    expect(response.status).toBe(415);
  });

  it('logout: 204, the cookie cleared, the session refused from then on, audited', async () => {
    await provision(app, org, 'logout@sessions.test');
    const { cookie } = await signedIn('logout@sessions.test');
    const logout = await request(app.getHttpServer()).post('/session/logout').set('Host', org.hostname).set('Cookie', cookie).expect(204);
    expect(String(logout.headers['set-cookie'])).toContain('ss_session=; Max-Age=0');
    await getSession(app, org.hostname, cookie).expect(401);
    await request(app.getHttpServer()).post('/session/logout').set('Host', org.hostname).set('Cookie', cookie).expect(401);
    expect((await auditEvents(app, org, 1))[0]).toMatchObject({ type: 'session.revoked', detail: 'logout', target: { type: 'session' } });
  });

  it('an administrator ends all sessions of a user: 204, refused from then on, audited; 404 for an unknown user', async () => {
    const userId = await provision(app, org, 'revoked@sessions.test');
    const first = await signedIn('revoked@sessions.test');
    const second = await signedIn('revoked@sessions.test');
    await adminRequest(app, 'delete', `/admin/v1/users/${userId}/sessions`, org.apiKey).expect(204);
    await getSession(app, org.hostname, first.cookie).expect(401);
    await getSession(app, org.hostname, second.cookie).expect(401);
    expect((await auditEvents(app, org, 1))[0]).toMatchObject({
      type: 'session.revoked',
      detail: 'admin:2',
      target: { type: 'user', id: userId },
    });
    await adminRequest(app, 'delete', '/admin/v1/users/00000000-0000-0000-0000-000000000000/sessions', org.apiKey).expect(404);
    const other = await ssoOrganization(app, 'other');
    await adminRequest(app, 'delete', `/admin/v1/users/${userId}/sessions`, other.apiKey).expect(404);
  });

  it('deactivation ends the sessions for good: reactivating the user does not bring them back', async () => {
    const userId = await provision(app, org, 'deactivated@sessions.test');
    const { cookie, token } = await signedIn('deactivated@sessions.test');
    await setActive(app, org, userId, false);
    await getSession(app, org.hostname, cookie).expect(401);
    const [row] = await sql<{ revoked_reason: string | null }>('SELECT revoked_reason FROM sessions WHERE token_hash = ?', [
      sessionTokenHash(token),
    ]);
    expect(row.revoked_reason).toBe('user_deactivated');
    expect((await auditEvents(app, org)).filter((event) => event.type === 'session.revoked' && event.target?.id === userId)).toMatchObject([
      { detail: 'user_deactivated:1', target: { type: 'user', id: userId } },
    ]);
    await setActive(app, org, userId, true);
    await getSession(app, org.hostname, cookie).expect(401);
    // A new sign-in works again.
    const again = await signedIn('deactivated@sessions.test');
    await getSession(app, org.hostname, again.cookie).expect(200);
  });

  it('a SCIM DELETE ends the sessions too', async () => {
    const userId = await provision(app, org, 'deleted@sessions.test');
    const { cookie, token } = await signedIn('deleted@sessions.test');
    await request(app.getHttpServer()).delete(`/scim/v2/Users/${userId}`).auth(org.scim.username, org.scim.password).expect(204);
    await getSession(app, org.hostname, cookie).expect(401);
    expect((await auditEvents(app, org)).filter((event) => event.type === 'session.revoked' && event.target?.id === userId)).toMatchObject([
      { detail: 'user_deactivated:1' },
    ]);
    const [row] = await sql<{ revoked_reason: string | null }>('SELECT revoked_reason FROM sessions WHERE token_hash = ?', [
      sessionTokenHash(token),
    ]);
    expect(row.revoked_reason).toBe('user_deactivated');
  });

  it('re-checks on every request that the user is active, even when nothing revoked the session', async () => {
    const userId = await provision(app, org, 'recheck@sessions.test');
    const { cookie, token } = await signedIn('recheck@sessions.test');
    await sql('UPDATE users SET active = ? WHERE id = ?', [0, userId]);
    await getSession(app, org.hostname, cookie).expect(401);
    const [row] = await sql<{ revoked_at: unknown }>('SELECT revoked_at FROM sessions WHERE token_hash = ?', [sessionTokenHash(token)]);
    expect(row.revoked_at).toBeNull();
    await sql('UPDATE users SET active = ? WHERE id = ?', [1, userId]);
  });

  it('re-checks on every request that the organization still has SSO enabled', async () => {
    await provision(app, org, 'enabled@sessions.test');
    const { cookie } = await signedIn('enabled@sessions.test');
    await sql('UPDATE sso_configurations SET enabled = ? WHERE organization_id = ?', [0, org.organizationId]);
    try {
      await getSession(app, org.hostname, cookie).expect(401);
    } finally {
      await sql('UPDATE sso_configurations SET enabled = ? WHERE organization_id = ?', [1, org.organizationId]);
    }
    await getSession(app, org.hostname, cookie).expect(200);
  });

  it('a session ends after the idle timeout without requests, and requests keep it alive', async () => {
    await provision(app, org, 'idle@sessions.test');
    const { cookie, token } = await signedIn('idle@sessions.test');
    const hash = sessionTokenHash(token);
    await sql('UPDATE sessions SET last_seen_at = ? WHERE token_hash = ?', [stamp(Date.now() - 20 * MINUTE), hash]);
    await getSession(app, org.hostname, cookie).expect(200);
    const [touched] = await sql<{ last_seen_at: string | Date }>('SELECT last_seen_at FROM sessions WHERE token_hash = ?', [hash]);
    expect(Date.now() - readDate(touched.last_seen_at).getTime()).toBeLessThan(MINUTE);
    await sql('UPDATE sessions SET last_seen_at = ? WHERE token_hash = ?', [stamp(Date.now() - 31 * MINUTE), hash]);
    await getSession(app, org.hostname, cookie).expect(401);
  });

  it('a session ends at its absolute expiry, however active', async () => {
    await provision(app, org, 'absolute@sessions.test');
    const { cookie, token } = await signedIn('absolute@sessions.test');
    await sql('UPDATE sessions SET expires_at = ? WHERE token_hash = ?', [stamp(Date.now() - 1000), sessionTokenHash(token)]);
    await getSession(app, org.hostname, cookie).expect(401);
  });

  it('disabling SSO ends every session of the organization at once, and re-enabling does not revive them', async () => {
    await provision(app, org, 'disabled@sessions.test');
    const { cookie } = await signedIn('disabled@sessions.test');
    await adminRequest(app, 'delete', '/admin/v1/organization/sso', org.apiKey).expect(204);
    await getSession(app, org.hostname, cookie).expect(401);
    const events = await auditEvents(app, org, 2);
    expect(events.map((event) => `${event.type}:${event.detail}`)).toEqual(expect.arrayContaining(['sso.configured:disabled']));
    expect(events.some((event) => event.type === 'session.revoked' && /^sso_disabled:[1-9]/.test(event.detail ?? ''))).toBe(true);
    await trustIdp(app, org, idp);
    await getSession(app, org.hostname, cookie).expect(401);
  });

  it('sweeps sessions that ended more than a day ago', async () => {
    await provision(app, org, 'swept@sessions.test');
    const { token } = await signedIn('swept@sessions.test');
    const hash = sessionTokenHash(token);
    await sql('UPDATE sessions SET expires_at = ? WHERE token_hash = ?', [stamp(Date.now() - 25 * 60 * MINUTE), hash]);
    expect(await app.get(SessionsService).sweep()).toBeGreaterThanOrEqual(1);
    expect(await sql('SELECT id FROM sessions WHERE token_hash = ?', [hash])).toHaveLength(0);
  });
});

/** A UTC DATETIME literal both databases store as it is. */
function stamp(ms: number): string {
  return new Date(ms).toISOString().replace('T', ' ').slice(0, 19);
}
