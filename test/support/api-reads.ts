import { INestApplication } from '@nestjs/common';
import { PurgeResponseDto } from '../../src/retention/dto/purge.dto';
import { adminRequest, ApiKeyCredentials } from './admin-api';

/** Reads e2e tests assert with: what an administrator sees through the admin API, not the tables behind it. */

/** The user's purges as GET /admin/v1/purges?userId= lists them, newest first. */
export async function purgesOfUser(app: INestApplication, credentials: ApiKeyCredentials, userId: string): Promise<PurgeResponseDto[]> {
  const path = `/admin/v1/purges?userId=${encodeURIComponent(userId)}&limit=200`;
  return ((await adminRequest(app, 'get', path, credentials).expect(200)).body as { items: PurgeResponseDto[] }).items;
}

/** The purge ids the user's purges list holds. */
export async function purgeIdsOfUser(app: INestApplication, credentials: ApiKeyCredentials, userId: string): Promise<string[]> {
  return (await purgesOfUser(app, credentials, userId)).map((purge) => purge.id);
}

export type HistoryCounts = { messages: number; files: number; bytes: number };

/** Counts and bytes of the history of a user who is not deleted, as GET /admin/v1/users/:id/history reports them. */
export async function historyOf(app: INestApplication, credentials: ApiKeyCredentials, userId: string): Promise<HistoryCounts> {
  const body = (await adminRequest(app, 'get', `/admin/v1/users/${userId}/history`, credentials).expect(200)).body as {
    messages: { count: number };
    files: { count: number; bytes: number };
  };
  return { messages: body.messages.count, files: body.files.count, bytes: body.files.bytes };
}
