import { randomBytes, randomUUID } from 'node:crypto';
import { validateEnvironment } from '../../../src/config/environment';
import { Settings } from '../../../src/config/settings';
import { DataKeyRotation } from '../../../src/content-encryption/data-key-rotation';
import { DataKeyRepository } from '../../../src/content-encryption/data-key.repository';
import { DataKeys } from '../../../src/content-encryption/data-keys.service';
import { Database } from '../../../src/database/database';
import { statement } from '../../../src/database/statement';
import { ServerKeyRing } from '../../../src/secrets/server-key-ring';

const INSERT_ORGANIZATION = statement(
  'test.dataKeys.insertOrganization',
  'INSERT INTO organizations (id, name, hostname) VALUES (?, ?, ?)',
);
const INSERT_USER = statement(
  'test.dataKeys.insertUser',
  'INSERT INTO users (id, organization_id, user_name, user_name_normalized) VALUES (?, ?, ?, ?)',
);

/** A fresh 32-byte server key, base64 as ENCRYPTION_KEY takes it. */
export function newServerKey(): string {
  return randomBytes(32).toString('base64');
}

/** The server keys a process configured with ENCRYPTION_KEY=current and ENCRYPTION_KEYS_PREVIOUS=previous knows. */
export function serverKeyRing(current: string, previous: readonly string[] = []): ServerKeyRing {
  return new ServerKeyRing(new Settings(validateEnvironment({ ENCRYPTION_KEY: current, ENCRYPTION_KEYS_PREVIOUS: previous.join(',') })));
}

/** The content-encryption services as a process with these server keys builds them. */
export function contentEncryption(
  database: Database,
  ring: ServerKeyRing,
): { dataKeys: DataKeys; rotation: DataKeyRotation; repository: DataKeyRepository } {
  const repository = new DataKeyRepository(database);
  return { dataKeys: new DataKeys(database, repository, ring), rotation: new DataKeyRotation(database, repository, ring), repository };
}

/** `count` users of a new organization. */
export async function createUsers(database: Database, count: number): Promise<string[]> {
  const organizationId = randomUUID();
  await database.run(INSERT_ORGANIZATION, [organizationId, 'Data keys', `${organizationId}.example`]);
  const ids = Array.from({ length: count }, () => randomUUID());
  await database.transaction(async () => {
    for (const id of ids) {
      await database.run(INSERT_USER, [id, organizationId, `${id}@example.com`, `${id}@example.com`]);
    }
  });
  return ids;
}
