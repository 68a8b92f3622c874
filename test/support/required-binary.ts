import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';

/**
 * The path of a program some tests start themselves, or an error that says which tests need it
 * and how to install it: a bare ENOENT from spawn (or a 10 s wait) tells a newcomer nothing.
 */
export function requireBinary(name: string, neededFor: string, install: string, path = process.env.PATH ?? ''): string {
  for (const directory of path.split(delimiter).filter(Boolean)) {
    const candidate = join(directory, name);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not in this directory
    }
  }
  throw new Error(`${name} was not found on PATH: ${neededFor}. Install it (${install}) and run the tests again.`);
}

export const REDIS_SERVER_INSTALL = 'Debian/Ubuntu: apt-get install redis-server; macOS: brew install redis';
export const MARIADB_SERVER_INSTALL = 'Debian/Ubuntu: apt-get install mariadb-server; macOS: brew install mariadb';
