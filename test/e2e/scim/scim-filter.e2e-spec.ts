import { INestApplication } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Organization } from '../../../src/organizations/organization.entity';
import { parseUserFilter } from '../../../src/scim/filter';
import { foldedOrNull, normalizeUserName } from '../../../src/users/caseless-text';
import { User } from '../../../src/users/user.entity';
import { UsersRepository } from '../../../src/users/users.repository';
import { writeDirectly } from '../../support/direct-writes';
import { createTestApp } from '../../support/test-app';

const ORGANIZATION_ID = '00000000-0000-4000-8000-00000000000a';
const OTHER_ORGANIZATION_ID = '00000000-0000-4000-8000-00000000000b';

type Seed = {
  id: string;
  userName: string;
  email?: string;
  givenName?: string;
  familyName?: string;
  externalId?: string;
  active?: boolean;
  created: string;
  organizationId?: string;
};

// One hour after creation each, so meta.lastModified filters have their own answers.
const USERS: Seed[] = [
  {
    id: 'bjensen',
    userName: 'BJensen',
    email: 'bjensen@example.com',
    givenName: 'Barbara',
    familyName: 'Jensen',
    externalId: '00uBJ',
    created: '2026-01-01T10:00:00.000Z',
  },
  {
    id: 'quote',
    userName: 'a"b',
    email: 'Quote@Example.com',
    givenName: 'Quote',
    externalId: 'ext-Quote',
    created: '2026-01-02T10:00:00.000Z',
  },
  {
    id: 'backslash',
    userName: 'a\\b',
    givenName: 'Back',
    familyName: 'Slash',
    externalId: 'DOMAIN\\user',
    created: '2026-01-02T10:00:00.500Z',
  },
  { id: 'jose', userName: 'José', email: 'jose@example.com', givenName: 'José', familyName: 'Núñez', created: '2026-01-03T10:00:00.000Z' },
  {
    id: 'percent',
    userName: '50%_off',
    email: 'deals@example.com',
    givenName: '50%',
    familyName: 'Off',
    created: '2026-01-04T10:00:00.000Z',
  },
  {
    id: 'inactive',
    userName: 'old.user@example.com',
    email: 'old.user@example.com',
    externalId: '00uOLD',
    active: false,
    created: '2026-01-05T10:00:00.000Z',
  },
  {
    id: 'mixed',
    userName: 'Mixed.Case@Example.COM',
    email: 'Mixed.Case@Example.COM',
    givenName: 'Élodie',
    familyName: 'McCase',
    externalId: 'ABC',
    created: '2026-01-06T10:00:00.000Z',
  },
  { id: 'glob', userName: 'st*r?[x]!', email: '', givenName: '', familyName: 'Glob*?', created: '2026-01-07T10:00:00.000Z' },
  // Same userName, email, names and externalId as bjensen, in another organization.
  {
    id: 'other-bjensen',
    userName: 'BJensen',
    email: 'bjensen@example.com',
    givenName: 'Barbara',
    familyName: 'Jensen',
    externalId: '00uBJ',
    created: '2026-01-01T10:00:00.000Z',
    organizationId: OTHER_ORGANIZATION_ID,
  },
];

const WITH_EMAIL = ['bjensen', 'quote', 'jose', 'percent', 'inactive', 'mixed'];

describe('SCIM filters on the users table', () => {
  let app: INestApplication;
  let dataSource: DataSource;

  beforeAll(async () => {
    app = await createTestApp();
    dataSource = app.get(DataSource);
    await writeDirectly(app, async () => {
      await dataSource.getRepository(Organization).insert([
        { id: ORGANIZATION_ID, name: 'Filtered', hostname: 'filtered.example.com' },
        { id: OTHER_ORGANIZATION_ID, name: 'Other', hostname: 'other.example.com' },
      ]);
      await dataSource.getRepository(User).insert(
        USERS.map((seed) => ({
          id: seed.id,
          organizationId: seed.organizationId ?? ORGANIZATION_ID,
          userName: seed.userName,
          userNameNormalized: normalizeUserName(seed.userName),
          email: seed.email ?? null,
          emailFolded: foldedOrNull(seed.email ?? null),
          givenName: seed.givenName ?? null,
          givenNameFolded: foldedOrNull(seed.givenName ?? null),
          familyName: seed.familyName ?? null,
          familyNameFolded: foldedOrNull(seed.familyName ?? null),
          externalId: seed.externalId ?? null,
          active: seed.active ?? true,
          role: 'user' as const,
          createdAt: new Date(seed.created),
          updatedAt: new Date(Date.parse(seed.created) + 3_600_000),
        })),
      );
    });
  });

  afterAll(async () => {
    await app.close();
  });

  /** Ids of this organization's users that the filters (all of them) match, sorted: the query the SCIM list runs. */
  async function matching(...filters: string[]): Promise<string[]> {
    const filter = { kind: 'and' as const, filters: filters.map((text) => parseUserFilter(text)) };
    const { users } = await app.get(UsersRepository).search(ORGANIZATION_ID, filter, 0, USERS.length + 1);
    return users.map((user) => user.id).sort();
  }

  it('stored the seed as given, timestamps included', async () => {
    // The seed's own columns, timestamps included: a check of the fixture as stored.
    const stored = await dataSource.getRepository(User).findOneByOrFail({ id: 'backslash' });
    expect(stored.userName).toBe('a\\b');
    expect(stored.createdAt.toISOString()).toBe('2026-01-02T10:00:00.500Z');
    expect(stored.updatedAt.toISOString()).toBe('2026-01-02T11:00:00.500Z');
  });

  describe.each<[string, [filter: string, expected: string[]][]]>([
    [
      'userName, compared without regard to case',
      [
        ['userName eq "bjensen"', ['bjensen']],
        ['USERNAME EQ "BJENSEN"', ['bjensen']],
        ['urn:ietf:params:scim:schemas:core:2.0:User:userName eq "BJensen"', ['bjensen']],
        ['userName eq "mixed.case@example.com"', ['mixed']],
        ['userName eq "a\\"b"', ['quote']],
        ['userName eq "a\\\\b"', ['backslash']],
        ['userName eq "JOSÉ"', ['jose']],
        ['userName eq "Jos\\u00e9"', ['jose']],
        ['userName eq "Jose\u0301"', ['jose']],
        ['userName sw "a"', ['backslash', 'quote']],
        ['userName gt "m"', ['glob', 'inactive', 'mixed']],
        ['userName le "a\\\\b"', ['backslash', 'percent', 'quote']],
        ['userName ne "bjensen"', ['backslash', 'glob', 'inactive', 'jose', 'mixed', 'percent', 'quote']],
        ['userName pr', ['backslash', 'bjensen', 'glob', 'inactive', 'jose', 'mixed', 'percent', 'quote']],
      ],
    ],
    [
      'userName, with accents significant and surrounding or invisible spaces not, on every database',
      [
        ['userName eq "jose"', []],
        ['userName eq "bjensen "', ['bjensen']],
        ['userName eq "\\u200bbjen\\u00adsen\\u3000"', ['bjensen']],
        ['userName sw "bjensen "', []],
        ['userName co "jos"', ['jose']],
        ['userName sw "JOSE"', []],
      ],
    ],
    [
      'co / sw / ew, with wildcard and escape characters taken literally',
      [
        ['userName co "%_"', ['percent']],
        ['userName sw "50%"', ['percent']],
        ['userName ew "_off"', ['percent']],
        ['userName co "_"', ['percent']],
        ['userName co "*r?[x"', ['glob']],
        ['userName ew "]!"', ['glob']],
        ['userName co "!"', ['glob']],
        ['userName co "\\\\"', ['backslash']],
        ['userName ew "\\\\b"', ['backslash']],
        ['userName eq "a\\\\" or userName eq "bjensen"', ['bjensen']],
        ['userName co "\\""', ['quote']],
        ['userName co "JENS"', ['bjensen']],
        ['name.givenName co "%"', ['percent']],
        ['name.familyName ew "*?"', ['glob']],
      ],
    ],
    [
      'SQL injection attempts, which are only ever values',
      [
        ["userName eq \"x' OR '1'='1\"", []],
        ['userName eq "\\" or userName pr or \\""', []],
        ["userName co \"' OR ''='\"", []],
        ['name.givenName eq "\') OR 1=1 --"', []],
        ['externalId eq "x`) OR 1=1 #"', []],
        ['emails[value eq "\\" OR 1=1; DROP TABLE users; --"]', []],
      ],
    ],
    [
      'externalId and id, compared exactly',
      [
        ['externalId eq "00uBJ"', ['bjensen']],
        ['externalId eq "00ubj"', []],
        ['externalId co "Quo"', ['quote']],
        ['externalId co "quo"', []],
        ['externalId sw "EXT-"', []],
        ['externalId sw "DOMAIN\\\\"', ['backslash']],
        ['externalId eq "DOMAIN\\\\user"', ['backslash']],
        ['externalId gt "a"', ['quote']],
        ['externalId lt "a"', ['backslash', 'bjensen', 'inactive', 'mixed']],
        ['externalId pr', ['backslash', 'bjensen', 'inactive', 'mixed', 'quote']],
        ['externalId eq null', ['glob', 'jose', 'percent']],
        ['id eq "bjensen"', ['bjensen']],
        ['id eq "BJENSEN"', []],
        ['id eq "other-bjensen"', []],
      ],
    ],
    [
      'emails: the one stored email, which is the primary work email',
      [
        ['emails.value eq "QUOTE@example.COM"', ['quote']],
        ['emails eq "mixed.case@example.com"', ['mixed']],
        ['emails co "@example."', WITH_EMAIL],
        ['emails[type eq "work" and value ew "EXAMPLE.COM"]', WITH_EMAIL],
        ['emails[type eq "work"].value eq "mixed.case@example.com"', ['mixed']],
        ['emails[type eq "home"]', []],
        ['emails[primary eq true]', WITH_EMAIL],
        ['emails[primary eq false]', []],
        ['emails pr', WITH_EMAIL],
        ['not (emails pr)', ['backslash', 'glob']],
        ['emails.value ne "bjensen@example.com"', ['inactive', 'jose', 'mixed', 'percent', 'quote']],
        ['emails[not (value eq "bjensen@example.com")]', ['inactive', 'jose', 'mixed', 'percent', 'quote']],
        ['not (emails.value eq "bjensen@example.com")', ['backslash', 'glob', 'inactive', 'jose', 'mixed', 'percent', 'quote']],
      ],
    ],
    [
      'names and displayName, without regard to case; empty counts as absent',
      [
        ['name.givenName eq "barbara"', ['bjensen']],
        ['name.givenName ne "barbara"', ['backslash', 'glob', 'inactive', 'jose', 'mixed', 'percent', 'quote']],
        ['name.familyName eq "NÚÑEZ"', ['jose']],
        ['name.givenName pr', ['backslash', 'bjensen', 'jose', 'mixed', 'percent', 'quote']],
        ['not (name.givenName pr)', ['glob', 'inactive']],
        ['name.familyName eq null', ['inactive', 'quote']],
        ['displayName eq "barbara jensen"', ['bjensen']],
        ['displayName eq "QUOTE"', ['quote']],
        ['displayName eq "glob*?"', ['glob']],
        ['displayName sw "back s"', ['backslash']],
        ['displayName co "a j"', ['bjensen']],
        ['displayName pr', ['backslash', 'bjensen', 'glob', 'jose', 'mixed', 'percent', 'quote']],
      ],
    ],
    [
      'active',
      [
        ['active eq false', ['inactive']],
        ['active ne true', ['inactive']],
        ['not (active eq true)', ['inactive']],
        ['active eq true and userName sw "a"', ['backslash', 'quote']],
        ['active pr', ['backslash', 'bjensen', 'glob', 'inactive', 'jose', 'mixed', 'percent', 'quote']],
      ],
    ],
    [
      'meta.created and meta.lastModified, as instants',
      [
        ['meta.created eq "2026-01-02T10:00:00.5Z"', ['backslash']],
        ['meta.created eq "2026-01-02T11:00:00.500+01:00"', ['backslash']],
        ['meta.created ne "2026-01-02T10:00:00.5Z"', ['bjensen', 'glob', 'inactive', 'jose', 'mixed', 'percent', 'quote']],
        ['meta.created gt "2026-01-02T10:00:00Z"', ['backslash', 'glob', 'inactive', 'jose', 'mixed', 'percent']],
        ['meta.created ge "2026-01-02T10:00:00Z"', ['backslash', 'glob', 'inactive', 'jose', 'mixed', 'percent', 'quote']],
        ['meta.created lt "2026-01-02T10:00:00.4999Z"', ['bjensen', 'quote']],
        ['meta.created gt "2026-01-02T10:00:00.4999Z"', ['backslash', 'glob', 'inactive', 'jose', 'mixed', 'percent']],
        ['meta.created le "2026-01-01T05:00:00-05:00"', ['bjensen']],
        ['meta.created eq "2026-01-02T10:00:00.5000001Z"', []],
        ['meta.lastModified le "2026-01-01T11:00:00Z"', ['bjensen']],
        ['meta.lastModified gt "2026-01-06T11:00:00Z"', ['glob']],
      ],
    ],
    [
      'logical operators and precedence',
      [
        ['userName eq "a\\"b" or userName eq "bjensen" and active eq false', ['quote']],
        ['(userName eq "a\\"b" or userName eq "bjensen") and active eq true', ['bjensen', 'quote']],
        ['not (userName sw "a" or emails pr)', ['glob']],
        ['emails pr and not (name.familyName pr) or id eq "glob"', ['glob', 'inactive', 'quote']],
      ],
    ],
  ])('%s', (_topic, cases) => {
    it.each(cases)('%s', async (filter, expected) => {
      expect(await matching(filter)).toEqual([...expected].sort());
    });
  });

  it('never returns another organization’s users', async () => {
    const everyone = await matching('userName pr or not (userName pr)');
    expect(everyone).toHaveLength(USERS.length - 1);
    expect(everyone).not.toContain('other-bjensen');
  });

  it('can be combined with a second filter on the same query', async () => {
    expect(await matching('userName sw "a" or userName eq "bjensen"', 'userName ne "bjensen"')).toEqual(['backslash', 'quote']);
  });

  // Names and emails are compared in forms the application folded (full Unicode case folding),
  // so an upper-case non-ASCII letter matches on SQLite, whose LOWER() folds ASCII only, as on MariaDB.
  it.each([
    ['name.givenName eq "élodie"', ['mixed']],
    ['name.givenName eq "ÉLODIE"', ['mixed']],
    ['name.givenName sw "ÉL"', ['mixed']],
    ['displayName eq "élodie mccase"', ['mixed']],
    ['displayName co "ÉLODIE M"', ['mixed']],
    ['name.givenName eq "elodie"', []],
  ])('agrees on both databases for non-ASCII capitals: %s', async (filter, expected) => {
    expect(await matching(filter)).toEqual(expected);
  });
});
