import { resolve } from 'node:path';
import { Environment, LOG_LEVELS, PROCESS_ROLES } from './environment';

export type SqliteSettings = {
  readonly type: 'sqlite';
  readonly file: string;
};

export type MysqlSettings = {
  readonly type: 'mysql' | 'mariadb';
  readonly url: string;
  readonly poolSize: number;
  readonly connectTimeoutMs: number;
};

export type DatabaseSettings = (SqliteSettings | MysqlSettings) & {
  readonly runMigrations: boolean;
  readonly connectRetries: number;
};

export type RedisSettings = {
  readonly url: string;
  readonly keyPrefix: string;
};

export type ProcessRole = (typeof PROCESS_ROLES)[number];

/** Where an S3-compatible bucket is; credentials come from the AWS SDK's default chain. */
export type S3StorageSettings = {
  readonly bucket: string;
  readonly region: string;
  readonly endpoint: string | undefined;
  readonly forcePathStyle: boolean;
  /** Empty, or segments each ending in `/`. */
  readonly prefix: string;
};

export type FileStorageSettings = {
  readonly directory: string;
  readonly uploadMaxBytes: number;
  /** See STAGED_UPLOAD_ABANDONED_AFTER_MS, STORAGE_ORPHAN_GRACE_MS, STORAGE_SWEEP_INTERVAL_MS. */
  readonly stagedAbandonedAfterMs: number;
  readonly orphanGraceMs: number;
  readonly sweepIntervalMs: number;
  /** Set when STORAGE_DRIVER=s3; the local directory is then only a fallback nobody uses. */
  readonly s3: S3StorageSettings | undefined;
};

/** How long a client may hold a connection at each stage of a request (see createHttpAdapter). */
export type HttpTimeoutSettings = {
  readonly headersMs: number;
  readonly bodyMs: number;
  readonly idleMs: number;
  readonly keepAliveMs: number;
};

/** What one SCIM client may cost: filter size and time, and its requests in flight (per process). */
export type ScimLimitSettings = {
  readonly filterMaxClauses: number;
  /** MySQL/MariaDB only; 0: none. */
  readonly filterTimeLimitMs: number;
  readonly concurrentPerCredential: number;
  readonly queuedPerCredential: number;
  readonly queueTimeoutMs: number;
  /** Where a request's work blocks the process (SQLite): a slow turn is followed by a rest as long (see ScimRequestLimiter). */
  readonly restAfterSlowTurns: boolean;
};

export type SsoSettings = {
  /** e.g. `https://{hostname}`: {hostname} is the organization's, {PORT} already replaced. */
  readonly organizationUrlTemplate: string;
  readonly clockSkewMs: number;
  readonly allowSha1: boolean;
};

export type SessionSettings = {
  readonly absoluteTimeoutMs: number;
  readonly idleTimeoutMs: number;
};

export type PurgeSettings = {
  readonly batchSize: number;
  readonly batchPauseMs: number;
  readonly concurrency: number;
  readonly leaseMs: number;
  readonly reconcileIntervalMs: number;
  readonly retryBaseMs: number;
  readonly maxAttempts: number;
};

/**
 * The typed, validated view of the environment that the rest of the service injects.
 * Injected by class token so consumers need no string tokens.
 */
export class Settings {
  readonly environment: Environment['NODE_ENV'];
  /** `publicBaseUrlConfigured`: false when PUBLIC_BASE_URL is unset and publicBaseUrl is only a local guess. */
  readonly http: {
    readonly host: string;
    readonly port: number;
    readonly publicBaseUrl: string;
    readonly publicBaseUrlConfigured: boolean;
  };
  readonly dataDir: string;
  readonly database: DatabaseSettings;
  readonly redis: RedisSettings | null;
  readonly log: { readonly level: (typeof LOG_LEVELS)[number]; readonly pretty: boolean; readonly file: string | null };
  readonly healthCheckTimeoutMs: number;
  readonly shutdownTimeoutMs: number;
  /** Null: generate or reuse a key file under the data directory (embedded default only). */
  readonly encryptionKey: Buffer | null;
  /** Keys ENCRYPTION_KEY replaced: what they protect stays readable until it is re-encrypted. */
  readonly previousEncryptionKeys: readonly Buffer[];
  readonly trustProxy: boolean | number | string;
  readonly authThrottle: { readonly perAddress: number; readonly perUsername: number; readonly windowSeconds: number };
  readonly lastUsedWriteIntervalMs: number;
  /** How long a looked-up SCIM credential may be reused (with Redis only; 0 = never). */
  readonly scimCredentialCacheMs: number;
  readonly bodyLimitBytes: number;
  readonly httpTimeouts: HttpTimeoutSettings;
  readonly scimRequireOrganizationHostname: boolean;
  readonly scimMaxResults: number;
  readonly scimLimits: ScimLimitSettings;
  readonly processRole: ProcessRole;
  readonly fileStorage: FileStorageSettings;
  readonly purge: PurgeSettings;
  readonly sso: SsoSettings;
  readonly sessions: SessionSettings;

  constructor(env: Environment) {
    this.environment = env.NODE_ENV;
    this.dataDir = resolve(env.DATA_DIR);
    this.http = {
      host: env.HOST,
      port: env.PORT,
      publicBaseUrl: (env.PUBLIC_BASE_URL ?? `http://localhost:${env.PORT}`).replace(/\/+$/, ''),
      publicBaseUrlConfigured: env.PUBLIC_BASE_URL !== undefined,
    };
    const common = { runMigrations: env.MIGRATIONS_RUN, connectRetries: env.DATABASE_CONNECT_RETRIES };
    this.database =
      env.DATABASE_URL === undefined
        ? { ...common, type: 'sqlite', file: resolve(this.dataDir, env.SQLITE_FILE ?? 'scim.sqlite') }
        : {
            ...common,
            type: env.DATABASE_URL.startsWith('mariadb:') ? 'mariadb' : 'mysql',
            url: env.DATABASE_URL,
            poolSize: env.DATABASE_POOL_SIZE,
            connectTimeoutMs: env.DATABASE_CONNECT_TIMEOUT_MS,
          };
    this.redis = env.REDIS_URL === undefined ? null : { url: env.REDIS_URL, keyPrefix: env.REDIS_KEY_PREFIX };
    this.log = {
      level: env.LOG_LEVEL,
      pretty: (env.LOG_FORMAT ?? (env.NODE_ENV === 'production' ? 'json' : 'pretty')) === 'pretty',
      file: env.LOG_FILE === undefined ? null : resolve(env.LOG_FILE),
    };
    this.healthCheckTimeoutMs = env.HEALTH_CHECK_TIMEOUT_MS;
    this.shutdownTimeoutMs = env.SHUTDOWN_TIMEOUT_MS;
    this.encryptionKey = env.ENCRYPTION_KEY === undefined ? null : Buffer.from(env.ENCRYPTION_KEY, 'base64');
    this.previousEncryptionKeys = (env.ENCRYPTION_KEYS_PREVIOUS ?? '')
      .split(',')
      .map((key) => key.trim())
      .filter((key) => key !== '')
      .map((key) => Buffer.from(key, 'base64'));
    this.trustProxy = parseTrustProxy(env.TRUST_PROXY);
    this.authThrottle = {
      perAddress: env.AUTH_FAILURES_PER_ADDRESS,
      perUsername: env.AUTH_FAILURES_PER_USERNAME,
      windowSeconds: env.AUTH_FAILURE_WINDOW_SECONDS,
    };
    this.lastUsedWriteIntervalMs = env.LAST_USED_WRITE_INTERVAL_SECONDS * 1000;
    this.scimCredentialCacheMs = env.SCIM_CREDENTIAL_CACHE_MS;
    this.bodyLimitBytes = env.HTTP_BODY_LIMIT_BYTES;
    this.httpTimeouts = {
      headersMs: env.HTTP_HEADERS_TIMEOUT_MS,
      bodyMs: env.HTTP_BODY_TIMEOUT_MS,
      idleMs: env.HTTP_IDLE_TIMEOUT_MS,
      keepAliveMs: env.HTTP_KEEP_ALIVE_TIMEOUT_MS,
    };
    this.scimRequireOrganizationHostname = env.SCIM_REQUIRE_ORGANIZATION_HOSTNAME;
    this.scimMaxResults = env.SCIM_MAX_RESULTS;
    this.scimLimits = {
      filterMaxClauses: env.SCIM_FILTER_MAX_CLAUSES,
      filterTimeLimitMs: env.SCIM_FILTER_TIME_LIMIT_MS,
      concurrentPerCredential: env.SCIM_CONCURRENT_REQUESTS_PER_CREDENTIAL,
      queuedPerCredential: env.SCIM_QUEUED_REQUESTS_PER_CREDENTIAL,
      queueTimeoutMs: env.SCIM_QUEUE_TIMEOUT_MS,
      restAfterSlowTurns: this.database.type === 'sqlite',
    };
    this.processRole = env.PROCESS_ROLE;
    this.fileStorage = {
      directory: env.FILE_STORAGE_DIR === undefined ? resolve(this.dataDir, 'files') : resolve(env.FILE_STORAGE_DIR),
      uploadMaxBytes: env.FILE_UPLOAD_MAX_BYTES,
      stagedAbandonedAfterMs: env.STAGED_UPLOAD_ABANDONED_AFTER_MS,
      orphanGraceMs: env.STORAGE_ORPHAN_GRACE_MS,
      sweepIntervalMs: env.STORAGE_SWEEP_INTERVAL_MS,
      s3:
        env.STORAGE_DRIVER === 's3'
          ? {
              bucket: env.S3_BUCKET!,
              region: env.S3_REGION!,
              endpoint: env.S3_ENDPOINT?.replace(/\/+$/, ''),
              forcePathStyle: env.S3_FORCE_PATH_STYLE,
              prefix: env.S3_PREFIX ?? '',
            }
          : undefined,
    };
    this.purge = {
      batchSize: env.PURGE_BATCH_SIZE,
      batchPauseMs: env.PURGE_BATCH_PAUSE_MS,
      concurrency: env.PURGE_CONCURRENCY,
      leaseMs: env.PURGE_LEASE_MS,
      reconcileIntervalMs: env.PURGE_RECONCILE_INTERVAL_MS,
      retryBaseMs: env.PURGE_RETRY_BASE_MS,
      maxAttempts: env.PURGE_MAX_ATTEMPTS,
    };
    this.sso = {
      organizationUrlTemplate: env.ORGANIZATION_URL_TEMPLATE.replace(/\/+$/, '').replaceAll('{PORT}', String(env.PORT)),
      clockSkewMs: env.SAML_CLOCK_SKEW_SECONDS * 1000,
      allowSha1: env.SAML_ALLOW_SHA1,
    };
    this.sessions = {
      absoluteTimeoutMs: env.SESSION_ABSOLUTE_TIMEOUT_SECONDS * 1000,
      idleTimeoutMs: env.SESSION_IDLE_TIMEOUT_SECONDS * 1000,
    };
  }

  /** Whether this process executes purges (workers do; API-only processes leave them to workers). */
  get runsPurges(): boolean {
    return this.processRole !== 'api';
  }

  get scimBaseUrl(): string {
    return `${this.http.publicBaseUrl}/scim/v2`;
  }
}

function parseTrustProxy(value: string | undefined): boolean | number | string {
  if (value === undefined || value === 'false') {
    return false;
  }
  if (value === 'true') {
    return true;
  }
  return /^\d+$/.test(value) ? Number(value) : value;
}

/** A URL safe to print: the password, if any, is replaced. */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) {
      parsed.password = '***';
    }
    return parsed.toString();
  } catch {
    return '<unparsable URL>';
  }
}
