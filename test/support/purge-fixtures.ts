import { createHash, randomUUID } from 'node:crypto';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { INestApplication } from '@nestjs/common';
import request from 'supertest';
import { Settings } from '../../src/config/settings';
import { Database } from '../../src/database/database';
import { PurgeResponseDto } from '../../src/retention/dto/purge.dto';
import { KeyDestruction, PurgeScheduler } from '../../src/retention/purge-scheduler';
import { foldCase, normalizeUserName } from '../../src/users/caseless-text';
import { User } from '../../src/users/user.entity';
import { UsersRepository } from '../../src/users/users.repository';
import { adminRequest, ApiKeyCredentials, signedHeaders } from './admin-api';
import { writeDirectly } from './direct-writes';

export const sha256 = (content: Buffer | string): string => createHash('sha256').update(content).digest('hex');

/** A user of the organization, written directly (history tests do not depend on the SCIM API). */
export async function createUser(
  app: INestApplication,
  organizationId: string,
  userName = `user-${randomUUID().slice(0, 8)}@example.com`,
): Promise<User> {
  return writeDirectly(app, (dataSource) =>
    dataSource.getRepository(User).save({
      id: randomUUID(),
      organizationId,
      userName,
      userNameNormalized: normalizeUserName(userName),
      email: userName,
      emailFolded: foldCase(userName),
      givenName: 'Hist',
      givenNameFolded: 'hist',
      familyName: 'Ory',
      familyNameFolded: 'ory',
      externalId: null,
      active: true,
      role: 'user',
    }),
  );
}

/** A streamed upload, signed over the SHA-256 of its content as the admin API requires. */
export function uploadRequest(
  app: INestApplication,
  credentials: ApiKeyCredentials,
  userId: string,
  name: string,
  content: Buffer,
  options: { declaredSha256?: string; contentType?: string } = {},
): request.Test {
  const path = `/admin/v1/users/${userId}/files?name=${encodeURIComponent(name)}`;
  const digest = options.declaredSha256 ?? sha256(content);
  return request(app.getHttpServer())
    .post(path)
    .set(uploadHeaders(credentials, path, digest))
    .set('ss-content-sha256', digest)
    .set('Content-Type', options.contentType ?? 'application/octet-stream')
    .send(content);
}

/** The signature headers of an upload: its bodySha256 is the content digest sent in ss-content-sha256. */
export function uploadHeaders(credentials: ApiKeyCredentials, path: string, digest: string): Record<string, string> {
  return signedHeaders(credentials, 'POST', path, '', { bodySha256: digest });
}

/** Deterministic content of a user's n-th file, so a test can check bytes without keeping them. */
export function fileContent(seed: string, index: number): Buffer {
  const size = 64 + ((index * 37) % 1500);
  const block = createHash('sha256').update(`${seed}:${index}`).digest();
  return Buffer.alloc(size, block);
}

export type SeededHistory = { fileIds: number[]; messageIds: number[]; bytes: number };

/** Gives a user `files` files and `messages` messages through the admin API, a few requests at a time. */
export async function seedHistory(
  app: INestApplication,
  credentials: ApiKeyCredentials,
  userId: string,
  counts: { files: number; messages: number },
  seed = userId,
): Promise<SeededHistory> {
  const seeded: SeededHistory = { fileIds: [], messageIds: [], bytes: 0 };
  await inParallel(counts.files, async (index) => {
    const content = fileContent(seed, index);
    const response = await uploadRequest(app, credentials, userId, `file-${index}.bin`, content).expect(201);
    seeded.fileIds.push(response.body.id as number);
    seeded.bytes += content.length;
  });
  await inParallel(counts.messages, async (index) => {
    const response = await adminRequest(app, 'post', `/admin/v1/users/${userId}/messages`, credentials, {
      subject: `subject ${seed} ${index}`,
      body: `body ${seed} ${index}`,
    }).expect(201);
    seeded.messageIds.push(response.body.id as number);
  });
  seeded.fileIds.sort((a, b) => a - b);
  seeded.messageIds.sort((a, b) => a - b);
  return seeded;
}

async function inParallel(count: number, work: (index: number) => Promise<void>, width = 8): Promise<void> {
  let next = 0;
  const lanes = Array.from({ length: Math.min(width, count) }, async () => {
    while (next < count) {
      const index = next;
      next += 1;
      await work(index);
    }
  });
  await Promise.all(lanes);
}

/**
 * Deactivation as the users domain does it: one transaction that deactivates and records the
 * purge, which is dispatched after commit. For tests that must not depend on the SCIM API.
 */
export async function deactivateDirectly(
  app: INestApplication,
  user: Pick<User, 'id' | 'organizationId' | 'userName'>,
  keyDestruction: KeyDestruction = 'now',
): Promise<string> {
  const users = app.get(UsersRepository);
  await app.get(PurgeScheduler).prepare(user.organizationId);
  return app.get(Database).transaction(async () => {
    const lock = await app.get(PurgeScheduler).lockForDeactivation(user.organizationId);
    const current = await users.findVisible(user.organizationId, user.id);
    if (
      !current ||
      !(await users.updateProfile(user.id, current.version, {
        ...current,
        active: false,
        givenName: null,
        givenNameFolded: null,
        familyName: null,
        familyNameFolded: null,
        updatedAt: new Date(),
      }))
    ) {
      throw new Error(`user ${user.id} could not be deactivated`);
    }
    return (await app.get(PurgeScheduler).record(user, lock, keyDestruction)).purgeId;
  });
}

export async function reactivateDirectly(app: INestApplication, userId: string): Promise<void> {
  await writeDirectly(app, (dataSource) =>
    dataSource.getRepository(User).update({ id: userId }, { active: true, givenName: 'Back', familyName: 'Again' }),
  );
}

/** A purge as the admin API returns it. */
export type PurgeView = PurgeResponseDto;

export async function getPurge(app: INestApplication, credentials: ApiKeyCredentials, purgeId: string): Promise<PurgeView> {
  return (await adminRequest(app, 'get', `/admin/v1/purges/${purgeId}`, credentials).expect(200)).body as PurgeView;
}

/** Polls the admin API until the purge satisfies `done` (e.g. completed), failing after timeoutMs. */
export async function waitForPurge(
  app: INestApplication,
  credentials: ApiKeyCredentials,
  purgeId: string,
  done: (purge: PurgeView) => boolean = (purge) => purge.state === 'completed',
  timeoutMs = 45_000,
): Promise<PurgeView> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const purge = await getPurge(app, credentials, purgeId);
    if (done(purge)) {
      return purge;
    }
    if (Date.now() > deadline) {
      throw new Error(`purge ${purgeId} did not reach the expected state in ${timeoutMs} ms; last seen: ${JSON.stringify(purge)}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** Every regular file under a directory (recursively), relative to it. */
export function filesUnder(directory: string): string[] {
  if (!existsSync(directory)) {
    return [];
  }
  return readdirSync(directory, { recursive: true, encoding: 'utf8' }).filter((entry) => statSync(join(directory, entry)).isFile());
}

export function storageDirectory(app: INestApplication): string {
  return app.get(Settings).fileStorage.directory;
}

/** The receipt digest an auditor computes from the ids: see src/retention/purge-receipt.ts. */
export function expectedReceiptDigest(fileIds: number[], messageIds: number[]): string {
  const lines = [
    ...[...fileIds].sort((a, b) => a - b).map((id) => `file:${id}\n`),
    ...[...messageIds].sort((a, b) => a - b).map((id) => `message:${id}\n`),
  ];
  return sha256(lines.join(''));
}

/** A supertest parser that keeps a response body as raw bytes (`.buffer(true).parse(collectBytes)`). */
export function collectBytes(res: request.Response, callback: (error: Error | null, body: Buffer) => void): void {
  const response = res as unknown as NodeJS.ReadableStream;
  const chunks: Buffer[] = [];
  response.on('data', (chunk: Buffer) => chunks.push(chunk));
  response.on('end', () => callback(null, Buffer.concat(chunks)));
}
