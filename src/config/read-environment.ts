import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseEnv } from 'node:util';
import { validateEnvironment } from './environment';
import { Settings } from './settings';

const ENV_FILE = '.env';

/** Tests must not pick up a developer's `.env`. */
export function shouldReadEnvFile(env: NodeJS.ProcessEnv = process.env): boolean {
  return env.NODE_ENV !== 'test';
}

/**
 * Settings for code that runs outside the Nest container (the TypeORM CLI data source):
 * `.env` in the working directory first, real environment variables winning.
 */
export function readSettings(env: NodeJS.ProcessEnv = process.env): Settings {
  const file = resolve(ENV_FILE);
  const fromFile = shouldReadEnvFile(env) && existsSync(file) ? parseEnv(readFileSync(file, 'utf8')) : {};
  return new Settings(validateEnvironment({ ...fromFile, ...env }));
}
