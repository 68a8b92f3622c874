import { getMetadataStorage } from 'class-validator';
import { describe, expect, it } from 'vitest';
import { Environment, InvalidEnvironmentError, validateEnvironment } from './environment';
import { redactUrl, Settings } from './settings';

const KEY = Buffer.alloc(32, 1).toString('base64');

describe('validateEnvironment', () => {
  it('applies the embedded defaults when nothing is set', () => {
    const settings = new Settings(validateEnvironment({}));
    expect(settings.http).toEqual({ host: '0.0.0.0', port: 3000, publicBaseUrl: 'http://localhost:3000', publicBaseUrlConfigured: false });
    expect(settings.database).toMatchObject({ type: 'sqlite', runMigrations: true });
    expect(settings.database.type === 'sqlite' && settings.database.file).toMatch(/data\/scim\.sqlite$/);
    expect(settings.redis).toBeNull();
    expect(settings.log).toEqual({ level: 'info', pretty: true, file: null });
  });

  it('parses numbers and booleans from strings', () => {
    const env = validateEnvironment({ PORT: '8080', MIGRATIONS_RUN: 'false', NODE_ENV: 'production' });
    const settings = new Settings(env);
    expect(settings.http.port).toBe(8080);
    expect(settings.database.runMigrations).toBe(false);
    expect(settings.log.pretty).toBe(false);
  });

  it('chooses MySQL or MariaDB from DATABASE_URL, with its pool settings', () => {
    const settings = new Settings(
      validateEnvironment({ DATABASE_URL: 'mariadb://u:p@db:3306/scim', DATABASE_POOL_SIZE: '25', ENCRYPTION_KEY: KEY }),
    );
    expect(settings.database).toMatchObject({ type: 'mariadb', url: 'mariadb://u:p@db:3306/scim', poolSize: 25 });
  });

  it('checks MySQL settings only when MySQL is chosen, and Redis settings only when Redis is', () => {
    expect(() => validateEnvironment({ DATABASE_POOL_SIZE: 'lots', REDIS_KEY_PREFIX: 'bad prefix!' })).not.toThrow();
    expect(() => validateEnvironment({ DATABASE_URL: 'mysql://db/scim', DATABASE_POOL_SIZE: 'lots', ENCRYPTION_KEY: KEY })).toThrow(
      /DATABASE_POOL_SIZE/,
    );
    expect(() => validateEnvironment({ REDIS_URL: 'redis://cache:6379', REDIS_KEY_PREFIX: 'bad prefix!' })).toThrow(/REDIS_KEY_PREFIX/);
  });

  it('lists every bad variable in one error, naming each once and echoing no value', () => {
    let caught: unknown;
    try {
      validateEnvironment({ PORT: '70000', PUBLIC_BASE_URL: 'ftp://x', DATABASE_URL: 'postgres://u:hunter2@h/d', LOG_FORMAT: 'xml' });
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(InvalidEnvironmentError);
    const error = caught as InvalidEnvironmentError;
    expect(error.problems.map((problem) => problem.split(':')[0])).toEqual([
      'PORT',
      'PUBLIC_BASE_URL',
      'DATABASE_URL',
      'LOG_FORMAT',
      'ENCRYPTION_KEY',
    ]);
    expect(error.message).toContain('Invalid configuration (5 problems)');
    expect(error.message).not.toContain('hunter2');
  });

  it('says what an integer or boolean setting expects, whatever is wrong with it', () => {
    const problemsFor = (raw: Record<string, string>): string[] => {
      try {
        validateEnvironment({
          DATABASE_URL: 'mysql://db/scim',
          ENCRYPTION_KEY: KEY,
          REDIS_URL: 'redis://cache:6379',
          STORAGE_DRIVER: 's3',
          S3_BUCKET: 'files',
          S3_REGION: 'us-east-1',
          ...raw,
        });
      } catch (error) {
        return (error as InvalidEnvironmentError).problems;
      }
      return [];
    };
    for (const value of ['abc', '1.5', '0', '70000', '-1', '']) {
      expect(problemsFor({ PORT: value }), value).toEqual(['PORT: PORT must be an integer from 1 to 65535']);
    }
    expect(problemsFor({ MIGRATIONS_RUN: 'maybe' })).toEqual([
      'MIGRATIONS_RUN: MIGRATIONS_RUN must be true or false (1/0, yes/no and on/off are accepted too)',
    ]);

    // Every other integer and boolean setting: one problem, naming the whole range or the spellings.
    const rules = getMetadataStorage().getTargetValidationMetadatas(Environment, '', true, false);
    const withRule = (name: string): string[] => [...new Set(rules.filter((rule) => rule.name === name).map((rule) => rule.propertyName))];
    expect(withRule('isInt').length).toBeGreaterThan(20);
    for (const setting of withRule('isInt')) {
      for (const value of ['abc', '99999999999999']) {
        const problems = problemsFor({ [setting]: value });
        expect(problems, `${setting}=${value}`).toHaveLength(1);
        expect(problems[0], `${setting}=${value}`).toMatch(new RegExp(`^${setting}: ${setting} must be an integer from -?\\d+ to \\d+$`));
      }
    }
    for (const setting of withRule('isBoolean')) {
      expect(problemsFor({ [setting]: 'maybe' }), setting).toEqual([
        `${setting}: ${setting} must be true or false (1/0, yes/no and on/off are accepted too)`,
      ]);
    }
  });

  it('keeps file bytes on local disk by default, and checks the S3 settings only when STORAGE_DRIVER=s3', () => {
    expect(new Settings(validateEnvironment({})).fileStorage.s3).toBeUndefined();
    expect(() => validateEnvironment({ S3_BUCKET: 'Not A Bucket', S3_ENDPOINT: 'nonsense' })).not.toThrow();
    const s3 = new Settings(
      validateEnvironment({
        STORAGE_DRIVER: 's3',
        S3_BUCKET: 'acme-files',
        S3_REGION: 'eu-west-1',
        S3_ENDPOINT: 'https://minio.internal:9000/',
        S3_FORCE_PATH_STYLE: 'yes',
        S3_PREFIX: 'scim/production/',
      }),
    ).fileStorage.s3;
    expect(s3).toEqual({
      bucket: 'acme-files',
      region: 'eu-west-1',
      endpoint: 'https://minio.internal:9000',
      forcePathStyle: true,
      prefix: 'scim/production/',
    });
  });

  it('names every missing or malformed S3 setting at start-up', () => {
    const problemsFor = (raw: Record<string, string>): string[] => {
      try {
        validateEnvironment({ STORAGE_DRIVER: 's3', ...raw });
      } catch (error) {
        return (error as InvalidEnvironmentError).problems;
      }
      return [];
    };
    expect(problemsFor({})).toEqual([
      'S3_BUCKET: S3_BUCKET is required when STORAGE_DRIVER=s3',
      'S3_REGION: S3_REGION is required when STORAGE_DRIVER=s3',
    ]);
    const valid = { S3_BUCKET: 'acme-files', S3_REGION: 'eu-west-1' };
    expect(problemsFor(valid)).toEqual([]);
    for (const [name, value] of [
      ['S3_BUCKET', 'Acme_Files'],
      ['S3_BUCKET', 'ab'],
      ['S3_REGION', 'eu west'],
      ['S3_ENDPOINT', 'minio.internal:9000'],
      ['S3_ENDPOINT', 'https://minio.internal:9000/bucket'],
      ['S3_ENDPOINT', 'https://key:secret@minio.internal:9000'],
      ['S3_PREFIX', 'production'],
      ['S3_PREFIX', '../other/'],
      ['S3_PREFIX', '/absolute/'],
    ]) {
      const problems = problemsFor({ ...valid, [name]: value });
      expect(problems, `${name}=${value}`).toHaveLength(1);
      expect(problems[0], `${name}=${value}`).toMatch(new RegExp(`^${name}: ${name} must`));
    }
    expect(problemsFor({ ...valid, STORAGE_DRIVER: 'gcs' })[0]).toMatch(/^STORAGE_DRIVER:/);
  });

  it('refuses a staged-upload sweep threshold that an idle but live upload could reach', () => {
    expect(() => validateEnvironment({ HTTP_IDLE_TIMEOUT_MS: '300000', STAGED_UPLOAD_ABANDONED_AFTER_MS: '300000' })).toThrow(
      /STAGED_UPLOAD_ABANDONED_AFTER_MS must be greater than HTTP_IDLE_TIMEOUT_MS/,
    );
    expect(
      validateEnvironment({ HTTP_IDLE_TIMEOUT_MS: '60000', STAGED_UPLOAD_ABANDONED_AFTER_MS: '60001' }).STAGED_UPLOAD_ABANDONED_AFTER_MS,
    ).toBe(60001);
  });

  it('strips a trailing slash from the public base URL', () => {
    const settings = new Settings(validateEnvironment({ PUBLIC_BASE_URL: 'https://files.example.com/' }));
    expect(settings.http.publicBaseUrl).toBe('https://files.example.com');
  });
});

describe('redactUrl', () => {
  it('hides the password and keeps the rest', () => {
    expect(redactUrl('mysql://scim:secret@db:3306/scim')).toBe('mysql://scim:***@db:3306/scim');
    expect(redactUrl('not a url')).toBe('<unparsable URL>');
  });
});
