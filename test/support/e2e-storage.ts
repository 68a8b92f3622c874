import { join } from 'node:path';
import { INestApplication } from '@nestjs/common';
import { Settings } from '../../src/config/settings';
import { e2eStorage } from './e2e-target';
import { filesUnder } from './purge-fixtures';
import { S3_TEST_CREDENTIALS, S3_TEST_REGION, S3TestServer } from './s3-server';

const BUCKET = 'scim-e2e';
/** A prefix, so the driver's key layout under one is what every test exercises. */
const PREFIX = 'deployment/';

let server: S3TestServer | null = null;

/** With E2E_STORAGE=s3: starts this file's S3 server and points the service at it. */
export async function startE2eStorage(dataDir: string): Promise<void> {
  if (e2eStorage() !== 's3') {
    return;
  }
  server = new S3TestServer(join(dataDir, 's3'), BUCKET);
  await server.start();
  Object.assign(process.env, {
    STORAGE_DRIVER: 's3',
    S3_BUCKET: BUCKET,
    S3_REGION: S3_TEST_REGION,
    S3_ENDPOINT: server.endpoint,
    S3_FORCE_PATH_STYLE: 'true',
    S3_PREFIX: PREFIX,
    AWS_ACCESS_KEY_ID: S3_TEST_CREDENTIALS.accessKeyId,
    AWS_SECRET_ACCESS_KEY: S3_TEST_CREDENTIALS.secretAccessKey,
  });
}

export async function stopE2eStorage(): Promise<void> {
  await server?.stop();
  server = null;
}

/** This file's S3 server; only tests that run on S3 ask for it. */
export function e2eS3Server(): S3TestServer {
  if (!server) {
    throw new Error('no S3 server: run with E2E_STORAGE=s3');
  }
  return server;
}

/** The stored keys under `<segment>/<segment>/…`, relative to it, whichever driver holds them. */
export async function storedKeys(app: INestApplication, ...segments: string[]): Promise<string[]> {
  if (!server) {
    return filesUnder(join(app.get(Settings).fileStorage.directory, ...segments));
  }
  const prefix = `${PREFIX}${segments.map((segment) => `${segment}/`).join('')}`;
  return (await server.keysUnder(prefix)).map((key) => key.slice(prefix.length));
}

/** Staged bytes of unfinished uploads: staging files, or in-progress multipart uploads. */
export async function stagedUploads(app: INestApplication): Promise<string[]> {
  if (!server) {
    return filesUnder(join(app.get(Settings).fileStorage.directory, '.incoming'));
  }
  return (await server.inProgressUploads()).map((upload) => upload.key);
}
