import { existsSync, readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { dirname, join } from 'node:path';
import { Settings } from './config/settings';

const PACKAGE_NAME = 'scim-provisioning-service';

/** The version in package.json, found from the running file (src/ under tests, dist/src/ built). */
export function serviceVersion(from: string = __dirname): string {
  for (let directory = from; ; directory = dirname(directory)) {
    const candidate = join(directory, 'package.json');
    if (existsSync(candidate)) {
      const manifest = JSON.parse(readFileSync(candidate, 'utf8')) as { name?: string; version?: string };
      if (manifest.name === PACKAGE_NAME && manifest.version) {
        return manifest.version;
      }
    }
    if (dirname(directory) === directory) {
      return 'unknown';
    }
  }
}

/**
 * The one info line a start writes: what runs, in which role, on which database, queue and storage,
 * and where it listens. Locations only: never a user name, password or query string.
 */
export function describeStart(settings: Settings, databaseType: string, address: AddressInfo | string | null): string {
  const database =
    settings.database.type === 'sqlite'
      ? `sqlite ${settings.database.file}`
      : `${databaseType} at ${hostAndPath(settings.database.url, 3306)}`;
  const queue = settings.redis ? `bullmq on redis at ${hostAndPath(settings.redis.url, 6379)}` : 'in-process';
  const listening =
    typeof address === 'string'
      ? address
      : address
        ? `http://${address.family === 'IPv6' ? `[${address.address}]` : address.address}:${address.port}`
        : 'nowhere';
  return [
    `${PACKAGE_NAME} ${serviceVersion()} started`,
    `role ${settings.processRole}`,
    `database ${database}`,
    `queue ${queue}`,
    `storage ${describeStorage(settings)}`,
    `listening on ${listening}`,
    `public URL ${settings.http.publicBaseUrl}`,
  ].join(', ');
}

function hostAndPath(url: string, defaultPort: number): string {
  try {
    const parsed = new URL(url);
    const path = parsed.pathname === '/' ? '' : parsed.pathname;
    return `${parsed.hostname}:${parsed.port || defaultPort}${path}`;
  } catch {
    return '<unparsable URL>';
  }
}

function describeStorage(settings: Settings): string {
  const s3 = settings.fileStorage.s3;
  if (!s3) {
    return `local disk ${settings.fileStorage.directory}`;
  }
  return `s3 bucket ${s3.bucket}${s3.prefix ? ` prefix ${s3.prefix}` : ''} at ${s3.endpoint ?? `AWS ${s3.region}`}`;
}
