import { readFileSync } from 'node:fs';
import { INestApplication } from '@nestjs/common';
import { Browser, BrowserContext, Page } from 'playwright-core';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatBytes } from '../../../src/console/console-renderer';
import { launchChromium, newContext, screenshot, seriousAccessibilityViolations } from '../../support/browser';
import { BrowserIdentityProvider } from '../../support/browser-idp';
import { signInLinkToken } from '../../support/console';
import { freePort } from '../../support/processes';
import { fileContent, seedHistory } from '../../support/purge-fixtures';
import { oktaUser } from '../../support/scim-client';
import { rememberSecret } from '../../support/secret-ledger';
import { provision, setActive, SsoOrganization, ssoOrganization } from '../../support/sso';
import { createTestApp } from '../../support/test-app';

/**
 * The console in Debian's Chromium, end to end, as an administrator meets it: a sign-in link from
 * the CLI, single sign-on set up with the test identity provider, sign-in through it, an API key and
 * its SCIM credential read from the page and used by SCIM, and the provisioned user's purge.
 */
describe('web console in a real browser', () => {
  let app: INestApplication;
  let org: SsoOrganization;
  let identityProvider: BrowserIdentityProvider;
  let browser: Browser;
  let closeBrowser: () => Promise<void>;
  let base: string;
  const contexts: BrowserContext[] = [];

  beforeAll(async () => {
    // The ACS URL an identity provider posts to must be the one a browser reaches.
    const port = await freePort();
    process.env.ORGANIZATION_URL_TEMPLATE = `http://{hostname}:${port}`;
    app = await createTestApp(port);
    org = await ssoOrganization(app, 'browser');
    base = `http://${org.hostname}:${port}`;
    identityProvider = await BrowserIdentityProvider.start(await freePort(), async () => {
      const metadata = await request(app.getHttpServer()).get('/sso/metadata').set('Host', org.hostname).expect(200);
      return { xml: metadata.text, entityId: org.sp.entityId };
    });
    ({ browser, close: closeBrowser } = await launchChromium());
  });

  afterAll(async () => {
    for (const context of contexts) {
      await context.close();
    }
    await closeBrowser?.();
    await identityProvider?.stop();
    await app?.close();
    delete process.env.ORGANIZATION_URL_TEMPLATE;
  });

  async function freshPage(): Promise<Page> {
    const context = await newContext(browser);
    contexts.push(context);
    return context.newPage();
  }

  /** Every page the flow shows passes axe-core (no serious or critical violation) and is kept as a screenshot. */
  async function check(page: Page, name: string): Promise<void> {
    expect(await seriousAccessibilityViolations(page), `${name}: ${page.url()}`).toEqual([]);
    await screenshot(page, name);
  }

  it('takes an administrator from a sign-in link through SSO set-up, SSO sign-in, SCIM credentials, provisioning and a purge', async () => {
    const page = await freshPage();
    const adminEmail = `admin@${org.hostname}`;

    await page.goto(`${base}/login`);
    await expect.poll(() => page.getByText('Single sign-on is not configured').count()).toBe(1);
    await check(page, 'login-before-sso');

    // The CLI's one-time link: the browser moves the code from the fragment into the form and posts it.
    const token = await signInLinkToken(app, org.hostname, adminEmail);
    await page.goto(`${base}/login/link#${token}`);
    await page.waitForURL(`${base}/`);
    await expect.poll(() => page.getByRole('heading', { name: 'Signed in as Ada Admin' }).count()).toBe(1);
    expect(page.url()).not.toContain(token);

    await page.getByRole('link', { name: 'Single sign-on' }).click();
    await page.waitForURL(`${base}/admin/sso`);
    expect(await page.getByLabel('Single sign-on URL (ACS URL)', { exact: true }).inputValue()).toBe(org.sp.acsUrl);
    expect(await page.getByLabel('Audience URI (SP entity ID)', { exact: true }).inputValue()).toBe(org.sp.entityId);
    await page.getByLabel('Identity provider metadata XML', { exact: true }).fill(identityProvider.idp.metadataXml());
    await page.getByRole('button', { name: 'Save single sign-on settings' }).click();
    await page.waitForURL(`${base}/admin/sso?notice=sso-saved`);
    await expect.poll(() => page.getByText('single sign-on is enabled').count()).toBe(1);
    await check(page, 'admin-sso');

    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.waitForURL(`${base}/login`);
    await check(page, 'login');

    identityProvider.signedInAs = adminEmail;
    await page.getByRole('link', { name: 'Login using Single Sign-on' }).click();
    await page.waitForURL(`${base}/`);
    await expect.poll(() => page.getByRole('heading', { name: 'Signed in as Ada Admin' }).count()).toBe(1);
    await check(page, 'home');

    await page.getByRole('link', { name: 'Account' }).click();
    await page.waitForURL(`${base}/account`);
    await page.getByLabel('Description (optional)', { exact: true }).fill('Okta provisioning');
    await page.getByRole('button', { name: 'Generate New API Key' }).click();
    await expect.poll(() => page.getByText('it will not be shown again').count()).toBe(1);
    const apiSecret = await page.getByLabel('API secret', { exact: true }).inputValue();
    rememberSecret(apiSecret);
    expect(apiSecret.length).toBeGreaterThan(20);
    await check(page, 'account-new-api-key');

    const newKey = await page.getByLabel('API key', { exact: true }).inputValue();
    const row = page.getByRole('row').filter({ hasText: newKey });
    await row.getByRole('button', { name: 'Click here if you would like to use this API key for SCIM authentication' }).click();
    await expect.poll(() => page.getByLabel('SCIM API Password', { exact: true }).count()).toBe(1);
    const username = await page.getByLabel('SCIM API Username', { exact: true }).inputValue();
    const password = await page.getByLabel('SCIM API Password', { exact: true }).inputValue();
    const scimBaseUrl = await page.getByLabel('SCIM Base URL', { exact: true }).inputValue();
    rememberSecret(password);
    expect(scimBaseUrl).toMatch(/\/scim\/v2$/);
    await check(page, 'account-scim-credentials');
    // A reload re-posts the form that asked for the password: refused, nothing shown or issued again.
    const reloaded = await page.reload();
    expect(reloaded?.status()).toBe(403);
    expect(await page.getByLabel('SCIM API Password', { exact: true }).count()).toBe(0);
    expect(await page.content()).not.toContain(password);
    await page.goto(`${base}/account`);
    expect(await page.getByLabel('SCIM API Password', { exact: true }).count()).toBe(0);

    // Okta's side: provisioning with exactly what the page showed.
    const userName = `linus@${org.hostname}`;
    const created = await request(app.getHttpServer())
      .post('/scim/v2/Users')
      .set('Host', org.hostname)
      .auth(username, password)
      .set('Content-Type', 'application/scim+json')
      .send(JSON.stringify(oktaUser(userName, 'Linus', 'Torvalds')))
      .expect(201);
    const userId = (created.body as { id: string }).id;
    await seedHistory(app, org.apiKey, userId, { files: 2, messages: 3 });

    await page.goto(`${base}/admin/users`);
    const userRow = page.getByRole('row').filter({ hasText: userName });
    await expect.poll(() => userRow.count()).toBe(1);
    expect(await userRow.innerText()).toContain('Active');
    await check(page, 'admin-users');

    await request(app.getHttpServer())
      .patch(`/scim/v2/Users/${userId}`)
      .set('Host', org.hostname)
      .auth(username, password)
      .set('Content-Type', 'application/scim+json')
      .send(
        JSON.stringify({
          schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'],
          Operations: [{ op: 'replace', value: { active: false } }],
        }),
      )
      .expect(200);
    const purgeRow = page.getByRole('row').filter({ hasText: userName });
    await expect
      .poll(
        async () => {
          await page.goto(`${base}/admin/purges`);
          return (await purgeRow.count()) === 1 ? purgeRow.locator('td.state').innerText() : 'absent';
        },
        { timeout: 45_000, interval: 500 },
      )
      .toBe('completed');
    expect(await purgeRow.innerText()).toContain('3 messages, 2 files');
    await check(page, 'admin-purges');

    await page.getByRole('link', { name: 'Audit trail' }).click();
    await page.waitForURL(`${base}/admin/audit`);
    await expect.poll(() => page.getByText('scim_credential.issued').count()).toBeGreaterThan(0);
    await check(page, 'admin-audit');

    // A post with the browser's cookies but without the page's CSRF token: refused, nothing created.
    await page.goto(`${base}/account`);
    const keysBefore = await page.getByRole('row').count();
    const forged = await page.evaluate(async () => {
      const response = await fetch('/account/api-keys', { method: 'POST', body: new URLSearchParams({ description: 'forged' }) });
      return response.status;
    });
    expect(forged).toBe(403);
    await page.reload();
    expect(await page.getByRole('row').count()).toBe(keysBefore);
    expect(await page.getByText('forged').count()).toBe(0);
  });

  it('shows a non-administrator their history, downloads their file and reads their message, and 403 pages for the admin screens', async () => {
    const page = await freshPage();
    const userName = `grace@${org.hostname}`;
    const graceId = await provision(app, org, userName);
    await seedHistory(app, org.apiKey, graceId, { files: 2, messages: 2 }, 'grace');
    identityProvider.signedInAs = userName;
    await page.goto(`${base}/`);
    await page.waitForURL(`${base}/login`);
    await page.getByRole('link', { name: 'Login using Single Sign-on' }).click();
    await page.waitForURL(`${base}/`);
    await expect.poll(() => page.getByRole('heading', { name: 'Signed in as Grace Hopper' }).count()).toBe(1);
    expect(await page.getByRole('link', { name: 'Users' }).count()).toBe(0);
    const fileRow = page.getByRole('row').filter({ hasText: 'file-1.bin' });
    expect(await fileRow.innerText()).toContain(formatBytes(fileContent('grace', 1).length));
    await check(page, 'home-history');

    const [download] = await Promise.all([
      page.waitForEvent('download'),
      fileRow.getByRole('link', { name: 'Download file-1.bin' }).click(),
    ]);
    expect(download.suggestedFilename()).toBe('file-1.bin');
    expect(Buffer.compare(readFileSync(await download.path()), fileContent('grace', 1))).toBe(0);
    await page.getByRole('row').filter({ hasText: 'subject grace 1' }).getByRole('link', { name: 'Read subject grace 1' }).click();
    await expect.poll(() => page.getByRole('heading', { name: 'subject grace 1' }).count()).toBe(1);
    expect(await page.getByText('body grace 1').count()).toBe(1);
    await check(page, 'message');
    await page.goto(`${base}/`);
    await page.getByRole('link', { name: 'Account' }).click();
    expect(await page.getByRole('button', { name: 'Generate New API Key' }).count()).toBe(0);
    for (const path of ['/admin/users', '/admin/purges', '/admin/sso', '/admin/sso/disable', '/admin/audit']) {
      const response = await page.goto(`${base}${path}`);
      expect(response?.status(), path).toBe(403);
      await expect.poll(() => page.getByRole('heading', { name: 'Administrators only' }).count()).toBe(1);
    }
    await check(page, 'forbidden');

    // Deactivated by SCIM, the next request is signed out.
    const userId = (
      (
        await request(app.getHttpServer())
          .get(`/scim/v2/Users?filter=userName eq "${userName}"`)
          .auth(org.scim.username, org.scim.password)
          .expect(200)
      ).body as { Resources: { id: string }[] }
    ).Resources[0].id;
    await setActive(app, org, userId, false);
    await page.goto(`${base}/account`);
    await page.waitForURL(`${base}/login`);
  });

  it('reaches every control of the account page by keyboard', async () => {
    const page = await freshPage();
    await page.goto(`${base}/login/link#${await signInLinkToken(app, org.hostname, `admin@${org.hostname}`)}`);
    await page.waitForURL(`${base}/`);
    await page.goto(`${base}/account`);
    const reached = new Set<string>();
    for (let step = 0; step < 60; step += 1) {
      await page.keyboard.press('Tab');
      reached.add(
        await page.evaluate(
          () => (document.activeElement as HTMLElement | null)?.innerText || (document.activeElement as HTMLInputElement | null)?.id || '',
        ),
      );
    }
    expect(reached).toContain('Generate New API Key');
    expect(reached).toContain('key-description');
    expect(reached).toContain('Sign out');
    expect([...reached].some((text) => text.includes('Click here if you would like to use this API key for SCIM authentication'))).toBe(
      true,
    );
  });
});
