import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

export const SERVER_KEY_BYTES = 32;
export const SERVER_KEY_FILE = 'encryption.key';

export type LoadedServerKey = { key: Buffer; source: 'environment' | 'existing-file' | 'new-file'; file?: string };

/**
 * The embedded default keeps its key beside the SQLite file, created on first start (0600).
 * Anyone who can read the data directory can read the key, which is why production
 * configures ENCRYPTION_KEY from a secret store instead.
 */
export function loadServerKey(configured: Buffer | null, dataDir: string): LoadedServerKey {
  if (configured) {
    return { key: configured, source: 'environment' };
  }
  const file = join(dataDir, SERVER_KEY_FILE);
  if (existsSync(file)) {
    const key = Buffer.from(readFileSync(file, 'utf8').trim(), 'base64');
    if (key.length !== SERVER_KEY_BYTES) {
      throw new Error(`${file} does not hold a base64-encoded ${SERVER_KEY_BYTES}-byte key`);
    }
    return { key, source: 'existing-file', file };
  }
  const key = randomBytes(SERVER_KEY_BYTES);
  mkdirSync(dirname(file), { recursive: true });
  // 'wx' fails if another process created it meanwhile; then that one wins.
  try {
    writeFileSync(file, `${key.toString('base64')}\n`, { flag: 'wx', mode: 0o600 });
    chmodSync(file, 0o600);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') {
      return loadServerKey(null, dataDir);
    }
    throw error;
  }
  return { key, source: 'new-file', file };
}
