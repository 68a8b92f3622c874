import { describe, expect, it } from 'vitest';
import type { SqlDialect } from '../../database/comparison-dialect';
import { parseUserFilter } from '../../scim/filter/parse-user-filter';
import { SqlCondition, userFilterToPositionalSql, userFilterToSql } from './user-filter-sql';

const DIALECTS: readonly SqlDialect[] = ['sqlite', 'mysql'];

function toSql(filter: string, dialect: SqlDialect): SqlCondition {
  return userFilterToSql(parseUserFilter(filter), { alias: 'u', dialect, parameterPrefix: 'p' });
}

const SQLITE_HAS_EXTERNAL_ID = `("u"."external_id" IS NOT NULL AND "u"."external_id" <> '')`;
const SQLITE_HAS_GIVEN_NAME = `("u"."given_name" IS NOT NULL AND "u"."given_name" <> '')`;
const MYSQL_HAS_EXTERNAL_ID = "(`u`.`external_id` IS NOT NULL AND CAST(`u`.`external_id` AS BINARY) <> CAST('' AS BINARY))";
const MYSQL_HAS_GIVEN_NAME = "(`u`.`given_name` IS NOT NULL AND CAST(`u`.`given_name` AS BINARY) <> CAST('' AS BINARY))";

/** The string literals the translation writes itself; any other quote in the SQL would be a leaked value. */
const OWN_LITERALS = /'%Y-%m-%d %H:%M:%f'|' '|''|'!'/g;

describe('userFilterToSql', () => {
  describe('on SQLite', () => {
    it.each([
      ['userName eq "BJensen"', '("u"."user_name_normalized" = :p0)', { p0: 'bjensen' }],
      ['externalId eq "00uA"', `((${SQLITE_HAS_EXTERNAL_ID} AND "u"."external_id" = :p0))`, { p0: '00uA' }],
      ['id eq "Ab-1"', '("u"."id" = :p0)', { p0: 'Ab-1' }],
      ['name.givenName eq "ÉLODIE"', `((${SQLITE_HAS_GIVEN_NAME} AND "u"."given_name_folded" = :p0))`, { p0: 'élodie' }],
      [
        'name.familyName gt "M"',
        `((("u"."family_name" IS NOT NULL AND "u"."family_name" <> '') AND "u"."family_name_folded" > :p0))`,
        { p0: 'm' },
      ],
      ['userName eq " Stra\u00dfe\u200b "', '("u"."user_name_normalized" = :p0)', { p0: 'strasse' }],
      ['userName sw "Stra\u00dfe "', '("u"."user_name_normalized" GLOB :p0)', { p0: 'strasse *' }],
      ['userName sw "a*b"', '("u"."user_name_normalized" GLOB :p0)', { p0: 'a[*]b*' }],
      ['externalId co "?[x]"', `((${SQLITE_HAS_EXTERNAL_ID} AND "u"."external_id" GLOB :p0))`, { p0: '*[?][[]x]*' }],
      ['emails ew "@X.com"', `((("u"."email" IS NOT NULL AND "u"."email" <> '') AND "u"."email_folded" GLOB :p0))`, { p0: '*@x.com' }],
      ['active eq false', '("u"."active" = :p0)', { p0: false }],
      ['active ne true', '("u"."active" <> :p0)', { p0: true }],
      ['name.givenName pr', `(${SQLITE_HAS_GIVEN_NAME})`, {}],
      ['userName pr', `("u"."user_name_normalized" <> '')`, {}],
      [
        'meta.created ge "2026-01-02T03:04:05.678Z"',
        `(strftime('%Y-%m-%d %H:%M:%f', "u"."created_at") >= :p0)`,
        { p0: '2026-01-02 03:04:05.678' },
      ],
    ])('%s', (filter, sql, parameters) => {
      expect(toSql(filter, 'sqlite')).toEqual({ sql, parameters });
    });
  });

  describe('on MySQL/MariaDB', () => {
    it.each([
      [
        'userName eq "BJensen"',
        '((`u`.`user_name_normalized` = :p0 AND CAST(`u`.`user_name_normalized` AS BINARY) = CAST(:p0 AS BINARY)))',
        { p0: 'bjensen' },
      ],
      [
        'externalId eq "00uA"',
        `((${MYSQL_HAS_EXTERNAL_ID} AND (\`u\`.\`external_id\` = :p0 AND CAST(\`u\`.\`external_id\` AS BINARY) = CAST(:p0 AS BINARY))))`,
        { p0: '00uA' },
      ],
      [
        'name.givenName eq "Ann"',
        `((${MYSQL_HAS_GIVEN_NAME} AND CAST(\`u\`.\`given_name_folded\` AS BINARY) = CAST(:p0 AS BINARY)))`,
        { p0: 'ann' },
      ],
      [
        'name.familyName lt "M"',
        "(((`u`.`family_name` IS NOT NULL AND CAST(`u`.`family_name` AS BINARY) <> CAST('' AS BINARY)) AND CAST(`u`.`family_name_folded` AS BINARY) < CAST(:p0 AS BINARY)))",
        { p0: 'm' },
      ],
      ['userName co "50%_!"', "(CAST(`u`.`user_name_normalized` AS BINARY) LIKE CAST(:p0 AS BINARY) ESCAPE '!')", { p0: '%50!%!_!!%' }],
      [
        'externalId sw "A\\\\b"',
        `((${MYSQL_HAS_EXTERNAL_ID} AND CAST(\`u\`.\`external_id\` AS BINARY) LIKE CAST(:p0 AS BINARY) ESCAPE '!'))`,
        { p0: 'A\\b%' },
      ],
      ['active eq true', '(`u`.`active` = :p0)', { p0: true }],
      ['name.givenName pr', `(${MYSQL_HAS_GIVEN_NAME})`, {}],
      ['meta.lastModified lt "2026-01-02T03:04:05.678901Z"', '(`u`.`updated_at` < :p0)', { p0: '2026-01-02 03:04:05.678901' }],
    ])('%s', (filter, sql, parameters) => {
      expect(toSql(filter, 'mysql')).toEqual({ sql, parameters });
    });
  });

  describe.each(DIALECTS)('on %s', (dialect) => {
    it('compares userName in its stored normal form (NFC, lower case)', () => {
      expect(toSql('userName eq "JOSE\\u0301"', dialect).parameters).toEqual({ p0: 'jos\u00e9' });
    });

    it('keeps case for case-exact attributes', () => {
      expect(toSql('id eq "AbC" or externalId eq "DeF"', dialect).parameters).toEqual({ p0: 'AbC', p1: 'DeF' });
    });

    it('lets an absent single-valued attribute satisfy ne', () => {
      const { sql } = toSql('name.givenName ne "a"', dialect);
      expect(sql).toMatch(/^\(NOT \(\(.*given_name.* IS NOT NULL AND .*\)\)\)$/);
    });

    it('makes ne on emails mean "some email differs", which needs an email', () => {
      const { sql } = toSql('emails.value ne "a"', dialect);
      expect(sql).toMatch(/^\(\(\(.*email.* IS NOT NULL AND .*\) AND NOT \(.*\)\)\)$/);
    });

    it('negates with NOT and groups with parentheses', () => {
      const { sql } = toSql('not (active eq true) or (userName eq "a" and userName eq "b")', dialect);
      expect(sql).toMatch(/^\(\(NOT \(.*\) OR \(.* AND .*\)\)\)$/);
    });

    it('requires a stored email for emails[...]', () => {
      const { sql } = toSql('emails[value co "x"]', dialect);
      expect(sql).toMatch(/^\(\(\(.*email.* IS NOT NULL AND .*email.* <> .*\) AND .*\)\)$/);
    });

    it.each([
      ['emails[type eq "WORK"]', true],
      ['emails[type sw "wo"]', true],
      ['emails[type ne "home"]', true],
      ['emails.type eq "work"', true],
      ['emails[primary eq true]', true],
      ['emails[primary ne false]', true],
      ['emails.type pr', true],
      ['emails[type eq "home"]', false],
      ['emails[type ne "work"]', false],
      ['emails[primary eq false]', false],
    ])('treats the stored email as the primary work email: %s', (filter, matchesUsersWithEmail) => {
      const { sql, parameters } = toSql(filter, dialect);
      expect(parameters).toEqual({});
      expect(sql.includes('1 = 0')).toBe(!matchesUsersWithEmail);
    });

    it('finds displayName in the given and family names', () => {
      const { sql, parameters } = toSql('displayName eq "Barbara Jensen"', dialect);
      expect(sql).toContain('CASE WHEN');
      expect(sql).toContain('given_name');
      expect(sql).toContain('family_name');
      expect(parameters).toEqual({ p0: 'barbara jensen' });
    });

    it.each(['active pr', 'meta.created pr', 'meta.lastModified pr'])('knows NOT NULL columns are always present: %s', (filter) => {
      expect(toSql(filter, dialect).sql).toBe('(1 = 1)');
    });

    describe('an instant finer than the column holds', () => {
      const finer = dialect === 'sqlite' ? '2026-01-01T00:00:00.0001Z' : '2026-01-01T00:00:00.0000001Z';

      it.each([
        ['eq', '1 = 0'],
        ['ne', '1 = 1'],
      ])('%s is constant', (op, constant) => {
        expect(toSql(`meta.created ${op} "${finer}"`, dialect)).toEqual({ sql: `(${constant})`, parameters: {} });
      });

      it.each([
        ['gt', '>'],
        ['ge', '>'],
        ['lt', '<='],
        ['le', '<='],
      ])('%s compares with the truncated instant using %s', (op, operator) => {
        const { sql, parameters } = toSql(`meta.created ${op} "${finer}"`, dialect);
        expect(sql).toMatch(new RegExp(` ${operator} :p0\\)$`));
        expect(parameters).toEqual({ p0: dialect === 'sqlite' ? '2026-01-01 00:00:00.000' : '2026-01-01 00:00:00.000000' });
      });
    });

    describe('never writes a value into the SQL', () => {
      const hostile = [
        "x' OR '1'='1",
        '"; DROP TABLE users; --',
        '`) OR 1=1 -- ',
        "'||(SELECT password FROM users)||'",
        ':injectedName',
        "%' ESCAPE '!",
        "\\' OR 1=1 #",
        "') UNION SELECT * FROM organizations --",
      ];
      const attributes = ['userName', 'externalId', 'id', 'emails.value', 'name.givenName', 'name.familyName', 'displayName'];
      const operators = ['eq', 'ne', 'co', 'sw', 'ew', 'gt', 'ge', 'lt', 'le'];

      it.each(hostile)('%s', (value) => {
        const encoded = JSON.stringify(value);
        for (const attribute of attributes) {
          for (const op of operators) {
            const { sql, parameters } = toSql(`${attribute} ${op} ${encoded} or emails[value ${op} ${encoded}]`, dialect);
            expect(sql.replace(OWN_LITERALS, '')).not.toMatch(/['"`]\s*(OR|UNION|DROP|ESCAPE)|--|;|#/i);
            expect(sql.replace(OWN_LITERALS, '')).not.toContain("'");
            expect(sql.toLowerCase()).not.toContain(value.toLowerCase());
            expect(
              Object.values(parameters).some((bound) => typeof bound === 'string' && bound.includes(value.toLowerCase().slice(0, 3))),
            ).toBe(true);
          }
        }
      });
    });

    it('binds exactly the parameters the SQL names', () => {
      const { sql, parameters } = toSql(
        'userName sw "a" or (emails[value co "b"] and name.givenName ne "c") or not (meta.created gt "2026-01-01T00:00:00Z") or active eq true',
        dialect,
      );
      const named = new Set([...sql.matchAll(/:(\w+)/g)].map((match) => match[1]));
      expect([...named].sort()).toEqual(Object.keys(parameters).sort());
      expect(Object.keys(parameters)).toEqual(['p0', 'p1', 'p2', 'p3', 'p4']);
    });
  });

  it('names parameters apart in every translation, so two filters can share a query', () => {
    const filter = parseUserFilter('userName eq "a"');
    const first = userFilterToSql(filter, { alias: 'u', dialect: 'sqlite' });
    const second = userFilterToSql(filter, { alias: 'u', dialect: 'sqlite' });
    const [firstName] = Object.keys(first.parameters);
    const [secondName] = Object.keys(second.parameters);
    expect(firstName).toMatch(/^[A-Za-z_]\w*$/);
    expect(firstName).not.toBe(secondName);
    expect(second.sql).toContain(`:${secondName}`);
  });

  it.each(['u; DROP TABLE users', 'u.x', '"u"', ''])('refuses the alias %j', (alias) => {
    expect(() => userFilterToSql(parseUserFilter('active pr'), { alias, dialect: 'sqlite' })).toThrow(/cannot be used as a query alias/);
  });

  it('refuses a parameter prefix TypeORM would not read as one name', () => {
    expect(() => userFilterToSql(parseUserFilter('active pr'), { alias: 'u', dialect: 'mysql', parameterPrefix: 'a-b' })).toThrow();
  });
});

describe('userFilterToPositionalSql', () => {
  it.each(DIALECTS)('turns every named parameter into ? with its value in order, booleans as 1/0, on %s', (dialect) => {
    const filter = parseUserFilter('userName eq "A" and (active eq false or name.givenName co ":scimFilterValue0")');
    const named = userFilterToSql(filter, { alias: 'u', dialect, parameterPrefix: 'p' });
    const positional = userFilterToPositionalSql(filter, { alias: 'u', dialect });

    expect(positional.sql).not.toMatch(/:\w/);
    expect(positional.sql).toBe(named.sql.replace(/:p\d+\b/g, '?'));
    // A parameter the SQL names twice is bound twice.
    const inOrder = [...named.sql.matchAll(/:(p\d+)\b/g)].map((match) => named.parameters[match[1]]);
    expect(positional.values).toEqual(inOrder.map((value) => (typeof value === 'boolean' ? Number(value) : value)));
    expect(positional.values).toContain(0);
    expect(positional.values.some((value) => String(value).includes(':scimfiltervalue0'))).toBe(true);
  });
});
