import { INestApplication } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OrganizationsService } from '../../../src/organizations/organizations.service';
import { adminRequest } from '../../support/admin-api';
import { e2eDatabase } from '../../support/e2e-target';
import { CORE_USER, ERROR, okta, oktaUser, patchOp, scimTenant, ScimTenant } from '../../support/scim-client';
import { rememberSecret } from '../../support/secret-ledger';
import { createTestApp } from '../../support/test-app';

/**
 * One expected answer per pair, whatever the database: the second userName either names the
 * same user as the first (409 on create, and `userName eq` finds the first) or another one
 * (201, and `eq` finds it). The file runs unchanged on SQLite and on MariaDB.
 */
const PAIRS: readonly [label: string, first: string, second: string, same: boolean][] = [
  ['an accent', 'alicé@x', 'alice@x', false],
  ['full-width letters', 'ＡＬＩＣＥ@x', 'alice@x', false],
  ['the dotted capital I against i', 'İvan@x', 'ivan@x', false],
  ['the dotless i against i', 'ıvan@x', 'ivan@x', false],
  ['a Greek accent', 'άλφα@x', 'αλφα@x', false],
  ['a no-break space inside', 'al\u00A0ice@x', 'al ice@x', false],
  ['case', 'Alice@Example.COM', 'alice@example.com', true],
  ['a trailing space', 'alice@x', 'alice@x ', true],
  ['a leading ideographic space', 'alice@x', '\u3000alice@x', true],
  ['a zero-width space', 'alice@x', 'ali\u200Bce@x', true],
  ['a soft hyphen', 'alice@x', 'ali\u00ADce@x', true],
  ['a variation selector', 'bob@x', 'bob@x\uFE0F', true],
  ['ß against ss', 'straße@x', 'STRASSE@x', true],
  ['the capital sharp s against ss', 'STRAẞE@x', 'strasse@x', true],
  ['the dotted capital I against i and a combining dot', 'İvan@x', 'i\u0307van@x', true],
  ['a decomposed accent', 'José@x', 'Jose\u0301@x', true],
  ['the Kelvin sign', '\u212Aim@x', 'kim@x', true],
  ['Greek final sigma', 'ΟΔΟΣ@x', 'οδος@x', true],
  ['a ligature', 'ﬁle@x', 'file@x', true],
];

const eq = (userName: string): string => `/Users?filter=${encodeURIComponent(`userName eq ${JSON.stringify(userName)}`)}`;

describe(`caseless comparison, the same on every database (this run: ${e2eDatabase()})`, () => {
  let app: INestApplication;
  let tenant: ScimTenant;
  let scim: ReturnType<typeof okta>;
  let dataSource: DataSource;

  beforeAll(async () => {
    app = await createTestApp();
    dataSource = app.get(DataSource);
    tenant = await scimTenant(app, 'caseless');
    scim = okta(app, tenant);
  });

  afterAll(async () => {
    await app.close();
  });

  async function idsFound(path: string): Promise<string[]> {
    return ((await scim.get(path).expect(200)).body.Resources as { id: string }[]).map((user) => user.id);
  }

  describe('userName: 409 on create and `userName eq` always agree', () => {
    it.each(
      PAIRS.map(
        ([label, first, second, same], index) =>
          [label, first.replace('@x', `@pair${index}.example`), second.replace('@x', `@pair${index}.example`), same] as const,
      ),
    )('%s: %j then %j', async (_label, first, second, same) => {
      const firstId = (await scim.post('/Users', oktaUser(first)).expect(201)).body.id as string;
      const response = await scim.post('/Users', oktaUser(second));
      if (same) {
        expect(response.status).toBe(409);
        expect(response.body).toMatchObject({ schemas: [ERROR], scimType: 'uniqueness' });
        expect(await idsFound(eq(second))).toEqual([firstId]);
      } else {
        expect(response.status).toBe(201);
        expect(response.body.userName).toBe(second);
        expect(await idsFound(eq(second))).toEqual([response.body.id]);
      }
      expect(await idsFound(eq(first))).toEqual([firstId]);
    });

    it('refuses a userName with nothing visible in it, as a SCIM error', async () => {
      const response = await scim.post('/Users', oktaUser('\u200B\u2060')).expect(400);
      expect(response.body).toMatchObject({
        schemas: [ERROR],
        scimType: 'invalidValue',
        detail: 'userName must contain a visible character (white space and invisible characters alone are not a name).',
      });
    });

    it('refuses a userName longer than the key column once folded, instead of failing in the database', async () => {
      await scim.post('/Users', oktaUser(`${'ß'.repeat(125)}@long.example`)).expect(400);
      await scim.post('/Users', oktaUser(`${'ß'.repeat(110)}@long.example`)).expect(201);
    });

    it('a userName sent again in another form in PUT or PATCH is no change, not a rename', async () => {
      const user = (await scim.post('/Users', oktaUser('Straße@rename.example')).expect(201)).body;
      await scim.put(`/Users/${user.id as string}`, { ...user, userName: ' STRASSE@RENAME.EXAMPLE\u200B' }).expect(200);
      const patched = await scim
        .patch(`/Users/${user.id as string}`, patchOp({ op: 'replace', path: 'userName', value: 'strasse@rename.example' }))
        .expect(200);
      expect(patched.body.userName).toBe('Straße@rename.example');
    });

    it('the admin API finds users by userName prefix under the same rule', async () => {
      const user = (await scim.post('/Users', oktaUser('Größe@prefix.example')).expect(201)).body;
      for (const prefix of ['GRÖSSE', 'grö\u200Bsse@pre', ' größe']) {
        const found = await adminRequest(app, 'get', `/admin/v1/users?userName=${encodeURIComponent(prefix)}`, tenant.apiKey).expect(200);
        expect((found.body.items as { id: string }[]).map((item) => item.id)).toEqual([user.id]);
      }
    });

    it('grant-admin finds the user its email names under the same rule, instead of creating a second one', async () => {
      const user = (await scim.post('/Users', oktaUser('Ärztin@grant.example', 'Ärz', 'Tin')).expect(201)).body;
      const { hostname } = (await adminRequest(app, 'get', '/admin/v1/organization', tenant.apiKey).expect(200)).body as {
        hostname: string;
      };
      const granted = await app.get(OrganizationsService).grantAdministrator({ hostname, email: 'ÄRZTIN@GRANT.EXAMPLE ' });
      expect(granted.admin.id).toBe(user.id);
    });

    it('is compared byte for byte by the database itself', async () => {
      // The schema is the point: read from the database's catalogue.
      if (e2eDatabase() === 'mysql') {
        const [column] = await dataSource.query<{ collation: string }[]>(
          "SELECT COLLATION_NAME AS collation FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = 'users' AND COLUMN_NAME = 'user_name_normalized'",
        );
        expect(column.collation).toBe('utf8mb4_bin');
      } else {
        const [table] = await dataSource.query<{ sql: string }[]>("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'users'");
        // No COLLATE clause: SQLite's BINARY collation compares bytes.
        expect(table.sql).toMatch(/"user_name_normalized" varchar\(255\) NOT NULL/);
        expect(table.sql).not.toMatch(/COLLATE/i);
      }
    });
  });

  describe('names and emails: filters find non-ASCII capitals on both databases', () => {
    const found = (filter: string): Promise<string[]> => idsFound(`/Users?filter=${encodeURIComponent(filter)}`);

    it('after create, a name change and a deactivation', async () => {
      const user = (
        await scim
          .post('/Users', {
            schemas: [CORE_USER],
            userName: 'elodie@names.example',
            active: true,
            name: { givenName: 'ÉLODIE', familyName: 'ØSTERGÅRD' },
            emails: [{ value: 'ÉLODIE@NAMES.EXAMPLE', primary: true }],
          })
          .expect(201)
      ).body;
      const id = user.id as string;
      for (const filter of [
        'name.givenName eq "élodie"',
        'name.familyName eq "østergård"',
        'emails.value eq "élodie@names.example"',
        'displayName eq "élodie østergård"',
        'name.givenName sw "élo"',
        'emails co "élodie@"',
      ]) {
        expect(await found(filter), filter).toEqual([id]);
      }

      await scim
        .patch(`/Users/${id}`, patchOp({ op: 'replace', value: { name: { givenName: 'ÇAĞLA', familyName: 'ŞAHİN' } } }))
        .expect(200);
      expect(await found('name.givenName eq "çağla"')).toEqual([id]);
      expect(await found('name.familyName eq "\u015fahi\u0307n"')).toEqual([id]);
      expect(await found('name.familyName eq "şahin"')).toEqual([]);
      expect(await found('displayName eq "ÇAĞLA ŞAHİN"')).toEqual([id]);
      expect(await found('name.givenName eq "élodie"')).toEqual([]);

      await scim.put(`/Users/${id}`, { ...user, active: false }).expect(200);
      expect(await found('name.givenName eq "çağla"')).toEqual([]);
      expect(await found('displayName pr and emails.value eq "ÉLODIE@names.example"')).toEqual([]);
      expect(await found('emails.value eq "élodie@names.example"')).toEqual([id]);
    });

    it('for administrators created by bootstrap and by grant-admin', async () => {
      const organizations = app.get(OrganizationsService);
      const slug = `names-${Date.now().toString(36)}`;
      const bootstrapped = await organizations.bootstrap({
        orgName: slug,
        hostname: `${slug}.example.com`,
        adminEmail: 'ÅSA@NAMES.EXAMPLE',
        adminGivenName: 'ÅSA',
        adminFamilyName: 'ÖBERG',
      });
      const granted = await organizations.grantAdministrator({
        hostname: `${slug}.example.com`,
        email: 'emile@names.example',
        givenName: 'ÉMILE',
        familyName: 'ZOLA',
      });
      const credentials = (
        await adminRequest(app, 'post', `/admin/v1/api-keys/${bootstrapped.apiKey.apiKey.id}/scim-credentials`, {
          key: bootstrapped.apiKey.apiKey.key,
          secret: bootstrapped.apiKey.secret,
          id: bootstrapped.apiKey.apiKey.id,
        }).expect(201)
      ).body as { username: string; password: string };
      rememberSecret(bootstrapped.apiKey.secret, granted.apiKey.secret, credentials.password);
      const theirs = okta(app, {
        ...tenant,
        authorization: `Basic ${Buffer.from(`${credentials.username}:${credentials.password}`).toString('base64')}`,
      });
      const ids = async (filter: string): Promise<string[]> =>
        ((await theirs.get(`/Users?filter=${encodeURIComponent(filter)}`).expect(200)).body.Resources as { id: string }[]).map(
          (user) => user.id,
        );
      expect(await ids('name.givenName eq "åsa" and name.familyName eq "öberg" and emails.value eq "åsa@names.example"')).toEqual([
        bootstrapped.admin.id,
      ]);
      expect(await ids('displayName eq "émile zola"')).toEqual([granted.admin.id]);
    });
  });
});
