import { plainToInstance, Transform } from 'class-transformer';
import {
  getMetadataStorage,
  IsBoolean,
  IsDefined,
  IsIn,
  IsInt,
  IsOptional,
  IsString,
  Matches,
  Max,
  MaxLength,
  Min,
  MinLength,
  ValidateIf,
  validateSync,
  ValidationError,
} from 'class-validator';

export const NODE_ENVIRONMENTS = ['development', 'production', 'test'] as const;
export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export const LOG_FORMATS = ['json', 'pretty'] as const;
export const PROCESS_ROLES = ['api', 'worker', 'all'] as const;
export const STORAGE_DRIVERS = ['local', 's3'] as const;

// Environment values arrive as strings; an unparsable one is kept as-is so the validator names it.
const toInteger = ({ value }: { value: unknown }): unknown =>
  typeof value === 'string' && /^-?\d+$/.test(value.trim()) ? Number(value.trim()) : value;

const toBoolean = ({ value }: { value: unknown }): unknown => {
  if (typeof value !== 'string') {
    return value;
  }
  const normalised = value.trim().toLowerCase();
  if (['true', '1', 'yes', 'on'].includes(normalised)) {
    return true;
  }
  if (['false', '0', 'no', 'off'].includes(normalised)) {
    return false;
  }
  return value;
};

const emptyToUndefined = ({ value }: { value: unknown }): unknown => (typeof value === 'string' && value.trim() === '' ? undefined : value);

export const MAX_PREVIOUS_KEYS = 8;
const BASE64_KEY = '[A-Za-z0-9+/]{43}=';
const PREVIOUS_KEYS_PATTERN = new RegExp(`^\\s*${BASE64_KEY}(\\s*,\\s*${BASE64_KEY}){0,${MAX_PREVIOUS_KEYS - 1}}\\s*$`);

const usesMysql = (env: Environment): boolean => env.DATABASE_URL !== undefined;
const usesSqlite = (env: Environment): boolean => env.DATABASE_URL === undefined;
const usesRedis = (env: Environment): boolean => env.REDIS_URL !== undefined;
const usesS3 = (env: Environment): boolean => env.STORAGE_DRIVER === 's3';

/**
 * Comparisons and presence tests one SCIM filter may hold, unless configured otherwise
 * (SCIM_FILTER_MAX_CLAUSES). Okta sends one (`userName eq`), Entra at most three; each clause
 * that is not an indexed equality is a scan of the organization's users, so their number is what
 * a filter costs.
 */
export const DEFAULT_SCIM_FILTER_MAX_CLAUSES = 10;

/**
 * Every setting the service reads, with its default. `.env.example` documents each one;
 * nothing outside `src/config` reads `process.env`.
 */
export class Environment {
  @IsIn(NODE_ENVIRONMENTS)
  NODE_ENV: (typeof NODE_ENVIRONMENTS)[number] = 'development';

  @IsString()
  @MinLength(1)
  HOST = '0.0.0.0';

  @Transform(toInteger)
  @IsInt()
  @Min(1)
  @Max(65535)
  PORT = 3000;

  @Transform(emptyToUndefined)
  @IsOptional()
  @Matches(/^https?:\/\/[^\s/?#]+(\/[^\s?#]*)?$/, {
    message: 'PUBLIC_BASE_URL must be an absolute http(s) URL without query or fragment',
  })
  PUBLIC_BASE_URL?: string;

  @IsString()
  @MinLength(1)
  DATA_DIR = './data';

  @Transform(emptyToUndefined)
  @IsOptional()
  @Matches(/^(mysql|mariadb):\/\/[^\s]+$/, {
    message: 'DATABASE_URL must be a mysql:// or mariadb:// URL (leave it unset for the embedded SQLite database)',
  })
  DATABASE_URL?: string;

  @ValidateIf(usesSqlite)
  @Transform(emptyToUndefined)
  @IsOptional()
  @IsString()
  SQLITE_FILE?: string;

  @ValidateIf(usesMysql)
  @Transform(toInteger)
  @IsInt()
  @Min(1)
  @Max(500)
  DATABASE_POOL_SIZE = 10;

  @ValidateIf(usesMysql)
  @Transform(toInteger)
  @IsInt()
  @Min(100)
  @Max(60000)
  DATABASE_CONNECT_TIMEOUT_MS = 3000;

  @Transform(toInteger)
  @IsInt()
  @Min(0)
  @Max(20)
  DATABASE_CONNECT_RETRIES = 2;

  @Transform(toBoolean)
  @IsBoolean()
  MIGRATIONS_RUN = true;

  @Transform(emptyToUndefined)
  @IsOptional()
  @Matches(/^rediss?:\/\/[^\s]+$/, { message: 'REDIS_URL must be a redis:// or rediss:// URL' })
  REDIS_URL?: string;

  @ValidateIf(usesRedis)
  @Matches(/^[A-Za-z0-9_.:-]+$/, { message: 'REDIS_KEY_PREFIX may only contain letters, digits and _ . : -' })
  @MaxLength(64)
  REDIS_KEY_PREFIX = 'scim';

  @IsIn(LOG_LEVELS)
  LOG_LEVEL: (typeof LOG_LEVELS)[number] = 'info';

  @Transform(emptyToUndefined)
  @IsOptional()
  @IsIn(LOG_FORMATS)
  LOG_FORMAT?: (typeof LOG_FORMATS)[number];

  /** Accept a SCIM credential only on its organization's hostname (Host, or X-Forwarded-Host from a trusted proxy). */
  @Transform(toBoolean)
  @IsBoolean()
  SCIM_REQUIRE_ORGANIZATION_HOSTNAME = false;

  /** Largest request body accepted, in bytes; larger ones are answered 413. */
  @Transform(toInteger)
  @IsInt()
  @Min(1024)
  @Max(100 * 1024 * 1024)
  HTTP_BODY_LIMIT_BYTES = 1024 * 1024;

  /** Longest a client may take to send a request's headers; slower ones get 408 and are disconnected. */
  @Transform(toInteger)
  @IsInt()
  @Min(100)
  @Max(600_000)
  HTTP_HEADERS_TIMEOUT_MS = 10_000;

  /** Longest a client may take to send a request body once its headers arrived (408); streamed file uploads are bounded by HTTP_IDLE_TIMEOUT_MS instead. */
  @Transform(toInteger)
  @IsInt()
  @Min(100)
  @Max(600_000)
  HTTP_BODY_TIMEOUT_MS = 30_000;

  /** A connection on which no byte moves in either direction for this long, while a request is open, is closed (a stalled upload too). */
  @Transform(toInteger)
  @IsInt()
  @Min(100)
  @Max(3_600_000)
  HTTP_IDLE_TIMEOUT_MS = 60_000;

  /** How long an idle keep-alive connection is kept open between requests. */
  @Transform(toInteger)
  @IsInt()
  @Min(100)
  @Max(3_600_000)
  HTTP_KEEP_ALIVE_TIMEOUT_MS = 72_000;

  /** The most SCIM list results one page may hold (advertised as filter.maxResults). */
  @Transform(toInteger)
  @IsInt()
  @Min(1)
  @Max(10000)
  SCIM_MAX_RESULTS = 200;

  /** Comparisons and presence tests one SCIM filter may hold; more is 400 invalidFilter. */
  @Transform(toInteger)
  @IsInt()
  @Min(1)
  @Max(1000)
  SCIM_FILTER_MAX_CLAUSES = DEFAULT_SCIM_FILTER_MAX_CLAUSES;

  /** MySQL/MariaDB only: longest a filtered SCIM list query may run, in ms (0: no limit). */
  @Transform(toInteger)
  @IsInt()
  @Min(0)
  @Max(600_000)
  SCIM_FILTER_TIME_LIMIT_MS = 5000;

  /** SCIM requests of one credential processed at once, per process; the rest wait in line. */
  @Transform(toInteger)
  @IsInt()
  @Min(1)
  @Max(1000)
  SCIM_CONCURRENT_REQUESTS_PER_CREDENTIAL = 8;

  /** SCIM requests of one credential that may wait for a turn, per process; past them: 429. */
  @Transform(toInteger)
  @IsInt()
  @Min(0)
  @Max(100_000)
  SCIM_QUEUED_REQUESTS_PER_CREDENTIAL = 64;

  /** Longest a SCIM request waits for its credential's turn, in ms; then 429. */
  @Transform(toInteger)
  @IsInt()
  @Min(0)
  @Max(60_000)
  SCIM_QUEUE_TIMEOUT_MS = 10_000;

  /** Base64 of 32 random bytes: encrypts API key secrets and peppers SCIM password hashes. */
  @ValidateIf((env: Environment) => usesMysql(env) || env.ENCRYPTION_KEY !== undefined)
  @Transform(emptyToUndefined)
  @IsDefined({
    message: 'ENCRYPTION_KEY is required with DATABASE_URL: every instance must share it (generate one with: openssl rand -base64 32)',
  })
  @Matches(/^[A-Za-z0-9+/]{43}=$/, { message: 'ENCRYPTION_KEY must be the base64 encoding of exactly 32 bytes (openssl rand -base64 32)' })
  ENCRYPTION_KEY?: string;

  /** During a rotation: the keys ENCRYPTION_KEY replaced, comma-separated, still read (never written with). */
  @Transform(emptyToUndefined)
  @IsOptional()
  @Matches(PREVIOUS_KEYS_PATTERN, {
    message: `ENCRYPTION_KEYS_PREVIOUS must be a comma-separated list of at most ${MAX_PREVIOUS_KEYS} keys, each the base64 encoding of exactly 32 bytes`,
  })
  ENCRYPTION_KEYS_PREVIOUS?: string;

  /** Express `trust proxy`: false, true, a hop count, or comma-separated addresses/subnets/keywords. */
  @Transform(emptyToUndefined)
  @IsOptional()
  @Matches(/^(true|false|\d+|[A-Za-z0-9.:/,\s]+)$/, {
    message: 'TRUST_PROXY must be true, false, a hop count or a list of addresses/subnets',
  })
  TRUST_PROXY?: string;

  @Transform(toInteger)
  @IsInt()
  @Min(1)
  @Max(100000)
  AUTH_FAILURES_PER_ADDRESS = 20;

  @Transform(toInteger)
  @IsInt()
  @Min(1)
  @Max(100000)
  AUTH_FAILURES_PER_USERNAME = 10;

  @Transform(toInteger)
  @IsInt()
  @Min(1)
  @Max(86400)
  AUTH_FAILURE_WINDOW_SECONDS = 300;

  @Transform(toInteger)
  @IsInt()
  @Min(1)
  @Max(3600)
  LAST_USED_WRITE_INTERVAL_SECONDS = 60;

  @Transform(toInteger)
  @IsInt()
  @Min(0)
  @Max(60_000)
  SCIM_CREDENTIAL_CACHE_MS = 2000;

  /** Append logs to this file instead of writing them to stdout. */
  @Transform(emptyToUndefined)
  @IsOptional()
  @IsString()
  LOG_FILE?: string;

  @Transform(toInteger)
  @IsInt()
  @Min(100)
  @Max(60000)
  HEALTH_CHECK_TIMEOUT_MS = 2000;

  @Transform(toInteger)
  @IsInt()
  @Min(0)
  @Max(300000)
  SHUTDOWN_TIMEOUT_MS = 10000;

  /** api: serves HTTP, never runs purges; worker: runs purges (and serves health/metrics); all: both. */
  @IsIn(PROCESS_ROLES)
  PROCESS_ROLE: (typeof PROCESS_ROLES)[number] = 'all';

  /** Where stored file bytes live; default DATA_DIR/files. */
  @Transform(emptyToUndefined)
  @IsOptional()
  @IsString()
  FILE_STORAGE_DIR?: string;

  /** Where file bytes live: local (FILE_STORAGE_DIR) or s3 (an S3-compatible bucket; see docs/storage.md). */
  @IsIn(STORAGE_DRIVERS)
  STORAGE_DRIVER: (typeof STORAGE_DRIVERS)[number] = 'local';

  /** The bucket that holds file bytes when STORAGE_DRIVER=s3 (created beforehand; see docs/storage.md). */
  @ValidateIf(usesS3)
  @Transform(emptyToUndefined)
  @IsDefined({ message: 'S3_BUCKET is required when STORAGE_DRIVER=s3' })
  @Matches(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, {
    message: 'S3_BUCKET must be a bucket name: 3 to 63 lowercase letters, digits, dots and hyphens',
  })
  S3_BUCKET?: string;

  /** The bucket's region (any value such as us-east-1 for most S3-compatible stores). */
  @ValidateIf(usesS3)
  @Transform(emptyToUndefined)
  @IsDefined({ message: 'S3_REGION is required when STORAGE_DRIVER=s3' })
  @Matches(/^[a-z0-9-]{1,32}$/, { message: 'S3_REGION must be a region name such as eu-west-1' })
  S3_REGION?: string;

  /** The store's URL for S3-compatible stores (MinIO, Ceph RGW, R2); unset for AWS S3. */
  @ValidateIf(usesS3)
  @Transform(emptyToUndefined)
  @IsOptional()
  @Matches(/^https?:\/\/[^\s/?#@]+\/?$/, {
    message: 'S3_ENDPOINT must be an http(s) URL with a host, no credentials and no path, such as https://minio.internal:9000',
  })
  S3_ENDPOINT?: string;

  /** Address the bucket in the path (https://host/bucket/key) rather than the host name; most S3-compatible stores need it. */
  @ValidateIf(usesS3)
  @Transform(toBoolean)
  @IsBoolean()
  S3_FORCE_PATH_STYLE = false;

  /** Key prefix for every object, so one bucket can serve several deployments (letters, digits, / _ . -). */
  @ValidateIf(usesS3)
  @Transform(emptyToUndefined)
  @IsOptional()
  @Matches(/^([A-Za-z0-9_-][A-Za-z0-9._-]{0,63}\/){1,4}$/, {
    message: 'S3_PREFIX must be one to four path segments, each ending in /, such as scim/production/',
  })
  S3_PREFIX?: string;

  /** Largest file upload accepted, in bytes; larger ones are answered 413. */
  @Transform(toInteger)
  @IsInt()
  @Min(1)
  @Max(1024 * 1024 * 1024 * 1024)
  FILE_UPLOAD_MAX_BYTES = 100 * 1024 * 1024;

  /**
   * A staged upload (local disk: its staging file) in which no byte was written for this long is
   * dropped by the storage sweep: HTTP_IDLE_TIMEOUT_MS has long cut its connection. On S3, where only
   * the start of a multipart upload is known, the sweep waits at least a day.
   */
  @Transform(toInteger)
  @IsInt()
  @Min(1000)
  @Max(7 * 24 * 3_600_000)
  STAGED_UPLOAD_ABANDONED_AFTER_MS = 300_000;

  /**
   * Stored bytes that no file row refers to are deleted by the storage sweep once older than this:
   * an upload's row is inserted just after its bytes land, so only bytes nobody will claim go.
   */
  @Transform(toInteger)
  @IsInt()
  @Min(1000)
  @Max(30 * 24 * 3_600_000)
  STORAGE_ORPHAN_GRACE_MS = 3_600_000;

  /** How often processes that run purges sweep storage (abandoned staged uploads, orphaned bytes); also once at start-up. */
  @Transform(toInteger)
  @IsInt()
  @Min(1000)
  @Max(24 * 3_600_000)
  STORAGE_SWEEP_INTERVAL_MS = 3_600_000;

  /** Files or messages a purge deletes per committed batch. */
  @Transform(toInteger)
  @IsInt()
  @Min(1)
  @Max(1000)
  PURGE_BATCH_SIZE = 100;

  /** Pause between a purge's batches, to bound its load on the database and disk. */
  @Transform(toInteger)
  @IsInt()
  @Min(0)
  @Max(60000)
  PURGE_BATCH_PAUSE_MS = 0;

  /** Purges one worker process runs at the same time. */
  @Transform(toInteger)
  @IsInt()
  @Min(1)
  @Max(64)
  PURGE_CONCURRENCY = 2;

  /** How long a running purge's claim lasts without progress before another worker takes it over. */
  @Transform(toInteger)
  @IsInt()
  @Min(1000)
  @Max(3600000)
  PURGE_LEASE_MS = 60000;

  /** How often a worker looks for purges that are due (pending, failed past their backoff, or abandoned). */
  @Transform(toInteger)
  @IsInt()
  @Min(100)
  @Max(3600000)
  PURGE_RECONCILE_INTERVAL_MS = 30000;

  /** First retry delay after a failed attempt; doubles with each further attempt (capped at one day). */
  @Transform(toInteger)
  @IsInt()
  @Min(10)
  @Max(86400000)
  PURGE_RETRY_BASE_MS = 30000;

  /** Attempts before automatic retries stop; an administrator can still retry by hand. */
  @Transform(toInteger)
  @IsInt()
  @Min(1)
  @Max(100)
  PURGE_MAX_ATTEMPTS = 8;

  /** The external URL of an organization's host, for the URLs given to its identity provider: {hostname} and {PORT} are replaced. */
  @Matches(/^https?:\/\/[^\s/?#]*\{hostname\}[^\s/?#]*\/?$/, {
    message:
      'ORGANIZATION_URL_TEMPLATE must be http(s)://, then a host containing {hostname} (and optionally :{PORT} or a port), without a path, e.g. https://{hostname}',
  })
  ORGANIZATION_URL_TEMPLATE = 'http://{hostname}:{PORT}';

  /** How far the identity provider's clock may be from ours when SAML validity times are checked. */
  @Transform(toInteger)
  @IsInt()
  @Min(0)
  @Max(180)
  SAML_CLOCK_SKEW_SECONDS = 180;

  /** Accept SAML responses signed with RSA-SHA1 (or SHA-1 digests); only for an identity provider that cannot do better. */
  @Transform(toBoolean)
  @IsBoolean()
  SAML_ALLOW_SHA1 = false;

  /** A sign-in session ends this long after sign-in, however active. */
  @Transform(toInteger)
  @IsInt()
  @Min(300)
  @Max(604800)
  SESSION_ABSOLUTE_TIMEOUT_SECONDS = 28800;

  /** A sign-in session ends after this long without a request. */
  @Transform(toInteger)
  @IsInt()
  @Min(300)
  @Max(86400)
  SESSION_IDLE_TIMEOUT_SECONDS = 1800;
}

export class InvalidEnvironmentError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration (${problems.length} problem${problems.length === 1 ? '' : 's'}):\n  - ${problems.join('\n  - ')}`);
    this.name = 'InvalidEnvironmentError';
  }
}

function describe(errors: ValidationError[]): string[] {
  // Values are never echoed: DATABASE_URL and REDIS_URL may carry passwords.
  return errors.map((error) => `${error.property}: ${expectation(error.property) ?? Object.values(error.constraints ?? {}).join('; ')}`);
}

/**
 * What an integer or boolean setting expects, whichever of its rules failed first: "abc" for PORT
 * broke "must not be greater than 65535" first, which sent the operator the wrong way.
 */
function expectation(property: string): string | undefined {
  const rules = getMetadataStorage()
    .getTargetValidationMetadatas(Environment, '', true, false)
    .filter((rule) => rule.propertyName === property);
  const bound = (name: string): number | undefined => rules.find((rule) => rule.name === name)?.constraints?.[0] as number | undefined;
  if (rules.some((rule) => rule.name === 'isInt')) {
    const [min, max] = [bound('min'), bound('max')];
    const range =
      min !== undefined && max !== undefined
        ? ` from ${min} to ${max}`
        : min !== undefined
          ? ` of at least ${min}`
          : max !== undefined
            ? ` of at most ${max}`
            : '';
    return `${property} must be an integer${range}`;
  }
  if (rules.some((rule) => rule.name === 'isBoolean')) {
    return `${property} must be true or false (1/0, yes/no and on/off are accepted too)`;
  }
  return undefined;
}

/** Validates raw environment variables, listing every bad one in a single error. */
export function validateEnvironment(raw: Record<string, unknown>): Environment {
  const environment = plainToInstance(Environment, raw, { exposeDefaultValues: true });
  const errors = validateSync(environment, { whitelist: true, stopAtFirstError: true });
  if (errors.length > 0) {
    throw new InvalidEnvironmentError(describe(errors));
  }
  const conflicts = conflictingSettings(environment);
  if (conflicts.length > 0) {
    throw new InvalidEnvironmentError(conflicts);
  }
  return environment;
}

/** Settings each valid alone whose combination would destroy data. */
function conflictingSettings(environment: Environment): string[] {
  const problems: string[] = [];
  // A streamed upload may pause for up to the idle timeout; a sweep that called it abandoned sooner would delete its staged bytes.
  if (environment.STAGED_UPLOAD_ABANDONED_AFTER_MS <= environment.HTTP_IDLE_TIMEOUT_MS) {
    problems.push(
      'STAGED_UPLOAD_ABANDONED_AFTER_MS must be greater than HTTP_IDLE_TIMEOUT_MS, or the storage sweep could drop an upload still in progress',
    );
  }
  return problems;
}
