import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { INestApplication } from '@nestjs/common';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DataKeys } from '../../../src/content-encryption/data-keys.service';
import { openField, sealField } from '../../../src/content-encryption/field-cipher';
import { ServerKeyRing } from '../../../src/secrets/server-key-ring';
import {
  adminRequest,
  bootstrapOrganization,
  BootstrappedOrganization,
  issueScimCredentials,
  ScimCredentials,
  scimGet,
} from '../../support/admin-api';
import { queryServiceDatabase } from '../../support/direct-database';
import { CLI_ENTRY, runCli } from '../../support/processes';
import { createUser } from '../../support/purge-fixtures';
import { rememberSecret } from '../../support/secret-ledger';
import { createTestApp } from '../../support/test-app';

const USERS = 60;
const OLD_KEY = randomBytes(32).toString('base64');
const NEW_KEY = randomBytes(32).toString('base64');
rememberSecret(OLD_KEY, NEW_KEY);

/** The service (and anything it starts) configured with these server keys. */
async function appWith(current: string, previous: string[] = []): Promise<INestApplication> {
  process.env.ENCRYPTION_KEY = current;
  process.env.ENCRYPTION_KEYS_PREVIOUS = previous.join(',');
  return createTestApp();
}

const rotatingEnv = { ENCRYPTION_KEY: NEW_KEY, ENCRYPTION_KEYS_PREVIOUS: OLD_KEY };

async function dataKeysByServerKey(): Promise<Record<string, number>> {
  const rows = await queryServiceDatabase<{ server_key_id: string; n: number | string }>(
    'SELECT server_key_id, COUNT(*) AS n FROM data_keys GROUP BY server_key_id',
  );
  return Object.fromEntries(rows.map((row) => [row.server_key_id, Number(row.n)]));
}

/** Starts the command and kills it (SIGKILL) once a batch of data keys has been committed. */
function rotateUntilKilled(): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI_ENTRY, 'rotate-encryption-key', '--batch-size', '7', '--pause-ms', '400'], {
      env: { ...process.env, ...rotatingEnv },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString('utf8');
      if (/data keys: [1-9]\d* of \d+/.test(stderr)) {
        child.kill('SIGKILL');
      }
    });
    child.on('error', reject);
    child.on('exit', (code, signal) =>
      signal === 'SIGKILL' ? resolve(stderr) : reject(new Error(`the command ended (${code}) before it was killed: ${stderr}`)),
    );
  });
}

describe('npm run cli -- rotate-encryption-key', () => {
  let org: BootstrappedOrganization;
  let scim: ScimCredentials;
  let oldKeyId: string;
  let newKeyId: string;
  const sealed = new Map<string, Buffer>();

  beforeAll(async () => {
    const app = await appWith(OLD_KEY);
    try {
      org = await bootstrapOrganization(app, 'rotation');
      scim = await issueScimCredentials(app, org.apiKey);
      rememberSecret(org.apiKey.secret, scim.password);
      const dataKeys = app.get(DataKeys);
      for (let index = 0; index < USERS; index += 1) {
        const user = await createUser(app, org.organizationId);
        sealed.set(user.id, sealField(await dataKeys.currentKey(user.id), 'message.body', `MARKER body of ${user.id}`));
      }
      oldKeyId = app.get(ServerKeyRing).current.id;
    } finally {
      await app.close();
    }
    const rotating = await appWith(NEW_KEY, [OLD_KEY]);
    newKeyId = rotating.get(ServerKeyRing).current.id;
    await rotating.close();
  });

  afterAll(() => {
    delete process.env.ENCRYPTION_KEYS_PREVIOUS;
  });

  it('refuses bad options with its usage', async () => {
    for (const args of [
      ['--batch-size', '0'],
      ['--pause-ms', 'soon'],
      ['--batch-size', '10001'],
      ['--unknown', '1'],
    ]) {
      const result = await runCli(['rotate-encryption-key', ...args], rotatingEnv);
      expect(result.code, args.join(' ')).toBe(2);
      expect(result.stdout).toBe('');
    }
    const help = await runCli(['rotate-encryption-key', '--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/rotate-encryption-key \[--batch-size N\] \[--pause-ms MS\]/);
  });

  it('moves nothing, and names the missing key, when the previous key is not configured', async () => {
    const result = await runCli(['rotate-encryption-key'], { ENCRYPTION_KEY: NEW_KEY, ENCRYPTION_KEYS_PREVIOUS: '' });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`add the key(s) with id ${oldKeyId} to ENCRYPTION_KEYS_PREVIOUS and run the command again`);
    const report = JSON.parse(result.stdout);
    expect(report).toMatchObject({ serverKeyId: newKeyId, complete: false, dataKeys: { rewrapped: 0 }, apiKeySecrets: { reencrypted: 0 } });
    expect(await dataKeysByServerKey()).toEqual({ [oldKeyId]: USERS });
    expect(result.stdout + result.stderr).not.toContain(OLD_KEY);
  });

  it('survives kill -9 half-way: a re-run finishes, and the service then reads everything with the new key alone', async () => {
    const progress = await rotateUntilKilled();
    expect(progress).toMatch(new RegExp(`^data keys: 0 of ${USERS}\n`));
    const halfway = await dataKeysByServerKey();
    expect(halfway[newKeyId]).toBeGreaterThan(0);
    expect(halfway[oldKeyId]).toBeGreaterThan(0);
    expect((halfway[newKeyId] ?? 0) + (halfway[oldKeyId] ?? 0)).toBe(USERS);

    const result = await runCli(['rotate-encryption-key', '--batch-size', '7'], rotatingEnv);
    expect(result.code, result.stderr).toBe(0);
    const report = JSON.parse(result.stdout);
    expect(report).toEqual({
      serverKeyId: newKeyId,
      dataKeys: { rewrapped: halfway[oldKeyId], skipped: [] },
      apiKeySecrets: { reencrypted: 1, skipped: [] },
      scimCredentials: { active: 1, underCurrentKey: 0, needingReplacement: [{ apiKeyId: org.apiKey.id, serverKeyId: oldKeyId }] },
      complete: true,
    });
    expect(result.stderr).toContain(`data keys: ${halfway[oldKeyId]} of ${halfway[oldKeyId]}`);
    expect(result.stderr).toContain('1 active SCIM credential(s) still verify only with a previous key');
    expect(await dataKeysByServerKey()).toEqual({ [newKeyId]: USERS });

    // While the old key is still configured, Okta's credential keeps working; it is replaced then.
    const during = await appWith(NEW_KEY, [OLD_KEY]);
    try {
      await scimGet(during, '/scim/v2/Users?count=1', scim).expect(200);
      scim = await issueScimCredentials(during, org.apiKey);
      rememberSecret(scim.password);
    } finally {
      await during.close();
    }

    const after = await appWith(NEW_KEY);
    try {
      await adminRequest(after, 'get', '/admin/v1/api-keys', org.apiKey).expect(200);
      await scimGet(after, '/scim/v2/Users?count=1', scim).expect(200);
      const dataKeys = after.get(DataKeys);
      for (const [userId, body] of sealed) {
        const key = (await dataKeys.keysOf(userId)).values().next().value;
        expect(key && openField(key, 'message.body', body)).toBe(`MARKER body of ${userId}`);
      }
    } finally {
      await after.close();
    }
    const settled = await runCli(['rotate-encryption-key'], { ENCRYPTION_KEY: NEW_KEY, ENCRYPTION_KEYS_PREVIOUS: '' });
    expect(settled.code).toBe(0);
    expect(JSON.parse(settled.stdout)).toMatchObject({
      complete: true,
      dataKeys: { rewrapped: 0 },
      scimCredentials: { active: 1, underCurrentKey: 1, needingReplacement: [] },
    });
  });

  it('answers 500, logging which key is missing, when a process lacks the key an API key secret was moved to', async () => {
    const stale = await appWith(OLD_KEY);
    try {
      const logged = readFileSync(process.env.LOG_FILE ?? '', 'utf8').length;
      await adminRequest(stale, 'get', '/admin/v1/api-keys', org.apiKey).expect(500);
      const log = readFileSync(process.env.LOG_FILE ?? '', 'utf8').slice(logged);
      expect(log).toContain(`was made under server key ${newKeyId}, which is neither ENCRYPTION_KEY nor in ENCRYPTION_KEYS_PREVIOUS`);
    } finally {
      await stale.close();
    }
  });
});
