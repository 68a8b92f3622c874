import { describe, expect, it } from 'vitest';
import { InvalidEnvironmentError, validateEnvironment } from './environment';
import { Settings } from './settings';

const MYSQL = { DATABASE_URL: 'mysql://u:p@db:3306/scim', ENCRYPTION_KEY: Buffer.alloc(32, 1).toString('base64') };

describe('the SCIM cost settings', () => {
  it('default to bounds Okta never reaches, with rests after slow turns on SQLite only', () => {
    expect(new Settings(validateEnvironment({})).scimLimits).toEqual({
      filterMaxClauses: 10,
      filterTimeLimitMs: 5000,
      concurrentPerCredential: 8,
      queuedPerCredential: 64,
      queueTimeoutMs: 10_000,
      restAfterSlowTurns: true,
    });
    expect(new Settings(validateEnvironment(MYSQL)).scimLimits).toMatchObject({ concurrentPerCredential: 8, restAfterSlowTurns: false });
  });

  it('take what the operator sets, on either database', () => {
    const settings = new Settings(
      validateEnvironment({
        ...MYSQL,
        SCIM_FILTER_MAX_CLAUSES: '25',
        SCIM_FILTER_TIME_LIMIT_MS: '0',
        SCIM_CONCURRENT_REQUESTS_PER_CREDENTIAL: '3',
        SCIM_QUEUED_REQUESTS_PER_CREDENTIAL: '0',
        SCIM_QUEUE_TIMEOUT_MS: '250',
      }),
    );
    expect(settings.scimLimits).toEqual({
      filterMaxClauses: 25,
      filterTimeLimitMs: 0,
      concurrentPerCredential: 3,
      queuedPerCredential: 0,
      queueTimeoutMs: 250,
      restAfterSlowTurns: false,
    });
    expect(new Settings(validateEnvironment({ SCIM_CONCURRENT_REQUESTS_PER_CREDENTIAL: '4' })).scimLimits).toMatchObject({
      concurrentPerCredential: 4,
      restAfterSlowTurns: true,
    });
  });

  it('refuse values that would disable the bounds or make no sense, naming each', () => {
    expect(() =>
      validateEnvironment({ SCIM_FILTER_MAX_CLAUSES: '0', SCIM_CONCURRENT_REQUESTS_PER_CREDENTIAL: 'many', SCIM_QUEUE_TIMEOUT_MS: '-1' }),
    ).toThrow(InvalidEnvironmentError);
    try {
      validateEnvironment({ SCIM_FILTER_MAX_CLAUSES: '0', SCIM_CONCURRENT_REQUESTS_PER_CREDENTIAL: 'many', SCIM_QUEUE_TIMEOUT_MS: '-1' });
    } catch (error) {
      const problems = (error as InvalidEnvironmentError).problems.join('\n');
      expect(problems).toMatch(/^SCIM_FILTER_MAX_CLAUSES: /m);
      expect(problems).toMatch(/^SCIM_CONCURRENT_REQUESTS_PER_CREDENTIAL: /m);
      expect(problems).toMatch(/^SCIM_QUEUE_TIMEOUT_MS: /m);
    }
  });
});
