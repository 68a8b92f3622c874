import { randomUUID } from 'node:crypto';
import { ApiKeysRepository } from '../../../../src/api-keys/api-keys.repository';
import { ApiKeysService } from '../../../../src/api-keys/api-keys.service';
import { AuditRepository } from '../../../../src/audit/audit.repository';
import { AuditService } from '../../../../src/audit/audit.service';
import { validateEnvironment } from '../../../../src/config/environment';
import { Settings } from '../../../../src/config/settings';
import { DataKeys } from '../../../../src/content-encryption/data-keys.service';
import { Database } from '../../../../src/database/database';
import { statement } from '../../../../src/database/statement';
import { HistoryPurgeScope } from '../../../../src/history/history-purge-scope';
import { HistoryPurgeScopeRepository } from '../../../../src/history/history-purge-scope.repository';
import type { RedisConnection } from '../../../../src/redis/redis-connection';
import { PurgeScheduler } from '../../../../src/retention/purge-scheduler';
import { PurgeRepository } from '../../../../src/retention/purge.repository';
import type { PurgeQueue } from '../../../../src/retention/queue/purge-queue';
import { LegalHoldRepository } from '../../../../src/retention/safeguards/legal-hold.repository';
import { PurgePolicyRepository } from '../../../../src/retention/safeguards/purge-policy.repository';
import { PurgeSafeguards } from '../../../../src/retention/safeguards/purge-safeguards';
import { ScimCredentialCache } from '../../../../src/scim-credentials/scim-credential-cache';
import { ScimCredentialsRepository } from '../../../../src/scim-credentials/scim-credentials.repository';
import { ScimCredentialsService } from '../../../../src/scim-credentials/scim-credentials.service';
import { CredentialCrypto } from '../../../../src/secrets/credential-crypto';
import { SessionsRepository } from '../../../../src/sessions/sessions.repository';
import { SessionsService } from '../../../../src/sessions/sessions.service';
import { UserProvisioningService } from '../../../../src/users/user-provisioning.service';
import { UsersRepository } from '../../../../src/users/users.repository';
import { UsersService } from '../../../../src/users/users.service';
import { contentEncryption, newServerKey, serverKeyRing } from '../../support/data-key-fixtures';

const INSERT_ORGANIZATION = statement(
  'test.users.insertOrganization',
  'INSERT INTO organizations (id, name, hostname, created_at, updated_at) VALUES (?, ?, ?, ?, ?)',
);
const INSERT_MESSAGE = statement(
  'test.users.insertMessage',
  "INSERT INTO messages (organization_id, user_id, subject, body, created_at) VALUES (?, ?, 's', 'b', ?)",
);
const INSERT_FILE = statement(
  'test.users.insertFile',
  "INSERT INTO files (organization_id, user_id, name, size_bytes, sha256, storage_key, created_at) VALUES (?, ?, 'f', 1, 'x', ?, ?)",
);
const INSERT_SESSION = statement(
  'test.users.insertSession',
  "INSERT INTO sessions (id, token_hash, organization_id, user_id, login_flow, created_at, last_seen_at, expires_at) VALUES (?, ?, ?, ?, 'sp_initiated', ?, ?, ?)",
);

const HOUR = 3600_000;

/** The users domain and what its deactivation reaches, built as Nest builds them, on one database. */
export type UsersDomain = {
  readonly database: Database;
  readonly users: UsersRepository;
  readonly usersService: UsersService;
  readonly provisioning: UserProvisioningService;
  readonly apiKeys: ApiKeysService;
  readonly apiKeysRepository: ApiKeysRepository;
  readonly scimCredentials: ScimCredentialsService;
  readonly audit: AuditService;
  readonly auditRepository: AuditRepository;
  readonly scheduler: PurgeScheduler;
  readonly purges: PurgeRepository;
  /** Purge ids handed to dispatch, i.e. after their transaction committed. */
  readonly dataKeys: DataKeys;
  readonly dispatched: string[];
  /** Times the SCIM credential cache was told to forget. */
  readonly invalidations: { count: number };
};

export function usersDomain(database: Database): UsersDomain {
  const settings = new Settings(validateEnvironment({ ENCRYPTION_KEY: newServerKey() }));
  const crypto = new CredentialCrypto(serverKeyRing(newServerKey()));
  const cache = new ScimCredentialCache(
    { client: null } as unknown as RedisConnection,
    { redis: null, scimCredentialCacheMs: 0 } as unknown as Settings,
  );
  const invalidations = { count: 0 };
  const invalidate = cache.invalidate.bind(cache);
  cache.invalidate = async () => {
    invalidations.count += 1;
    await invalidate();
  };
  const auditRepository = new AuditRepository(database);
  const audit = new AuditService(auditRepository);
  const scimCredentials = new ScimCredentialsService(database, new ScimCredentialsRepository(database), crypto, cache);
  const apiKeysRepository = new ApiKeysRepository(database);
  const apiKeys = new ApiKeysService(database, apiKeysRepository, scimCredentials, crypto, audit, settings);
  const purges = new PurgeRepository(database);
  const { dataKeys } = contentEncryption(database, serverKeyRing(newServerKey()));
  const scheduler = new PurgeScheduler(
    database,
    purges,
    new HistoryPurgeScope(new HistoryPurgeScopeRepository(database)),
    null as unknown as PurgeQueue,
    dataKeys,
    new PurgeSafeguards(new PurgePolicyRepository(database), new LegalHoldRepository(database), purges, audit),
    audit,
  );
  const dispatched: string[] = [];
  scheduler.dispatch = (purgeId: string) => {
    dispatched.push(purgeId);
    return Promise.resolve();
  };
  const sessions = new SessionsService(new SessionsRepository(database), {
    sessions: { absoluteTimeoutMs: 8 * HOUR, idleTimeoutMs: HOUR / 2 },
  } as Settings);
  const users = new UsersRepository(database);
  return {
    database,
    users,
    usersService: new UsersService(database, users, audit, apiKeys),
    provisioning: new UserProvisioningService(database, users, apiKeys, scheduler, sessions, audit),
    apiKeys,
    apiKeysRepository,
    scimCredentials,
    audit,
    auditRepository,
    scheduler,
    purges,
    dataKeys,
    dispatched,
    invalidations,
  };
}

export async function createOrganization(database: Database): Promise<string> {
  const id = randomUUID();
  const now = new Date();
  await database.run(INSERT_ORGANIZATION, [id, `Org ${id}`, `${id}.example.com`, now, now]);
  return id;
}

export async function addHistory(
  database: Database,
  organizationId: string,
  userId: string,
  messages: number,
  files: number,
): Promise<void> {
  await database.transaction(async () => {
    for (let index = 0; index < messages; index += 1) {
      await database.run(INSERT_MESSAGE, [organizationId, userId, new Date()]);
    }
    for (let index = 0; index < files; index += 1) {
      await database.run(INSERT_FILE, [organizationId, userId, `${userId}/${randomUUID()}`, new Date()]);
    }
  });
}

export async function openSession(database: Database, organizationId: string, userId: string): Promise<string> {
  const id = randomUUID();
  const now = new Date();
  await database.run(INSERT_SESSION, [id, randomUUID(), organizationId, userId, now, now, new Date(now.getTime() + HOUR)]);
  return id;
}
