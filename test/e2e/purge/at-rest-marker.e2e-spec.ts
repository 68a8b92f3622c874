import { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { INestApplication } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Settings } from '../../../src/config/settings';
import { FILE_CHUNK_BYTES } from '../../../src/content-encryption/file-format';
import { adminRequest, adminSignatureHeaders, bootstrapOrganization, BootstrappedOrganization } from '../../support/admin-api';
import { e2eDatabase } from '../../support/e2e-target';
import { freePort, startServer, waitForHttp } from '../../support/processes';
import { collectBytes, createUser, sha256, uploadRequest } from '../../support/purge-fixtures';
import { rememberSecret } from '../../support/secret-ledger';
import { createTestApp } from '../../support/test-app';

/** Every regular file under `root`, recursively (the SQLite file, its -wal and -shm, storage, staging, the log). */
function filesUnder(root: string): string[] {
  const found: string[] = [];
  for (const entry of readdirSync(root, { withFileTypes: true })) {
    const path = join(root, entry.name);
    if (entry.isDirectory()) {
      found.push(...filesUnder(path));
    } else if (entry.isFile()) {
      found.push(path);
    }
  }
  return found;
}

/** The files among `paths` whose bytes contain `marker` (UTF-8). */
function holding(paths: readonly string[], marker: string): string[] {
  const needle = Buffer.from(marker, 'utf8');
  return paths.filter((path) => readFileSync(path).includes(needle));
}

/**
 * Issue 13's proof: a marker sent in every kind of content (subject, body, file name, file bytes)
 * never reaches the disk in plaintext: not the database (SQLite file and WAL, or MariaDB's table
 * files), not storage, not staging, not the log; not even from an upload killed mid-way.
 */
describe('content at rest holds no plaintext', () => {
  let app: INestApplication;
  let acme: BootstrappedOrganization;
  let dataDir: string;
  const marker = `MARKER${randomBytes(12).toString('hex')}`;

  beforeAll(async () => {
    app = await createTestApp();
    acme = await bootstrapOrganization(app, 'marker');
    rememberSecret(acme.apiKey.secret);
    dataDir = process.env.DATA_DIR as string;
  });

  afterAll(async () => {
    await app.close();
  });

  /** Files the service writes: the data directory, and storage if it lives elsewhere. */
  function serviceFiles(): string[] {
    const storage = app.get(Settings).fileStorage.directory;
    return [...new Set([...filesUnder(dataDir), ...(storage.startsWith(dataDir) ? [] : filesUnder(storage))])];
  }

  it('uploads and messages carrying a marker: read back intact, found nowhere on disk', async () => {
    const user = await createUser(app, acme.organizationId);
    await adminRequest(app, 'post', `/admin/v1/users/${user.id}/messages`, acme.apiKey, {
      subject: `subject ${marker}`,
      body: `body ${marker} `.repeat(50),
    }).expect(201);
    const content = Buffer.from(`${marker}\n`.repeat(Math.ceil((2.5 * FILE_CHUNK_BYTES) / (marker.length + 1))));
    const file = await uploadRequest(app, acme.apiKey, user.id, `${marker}.txt`, content).expect(201);

    // The marker went through: the API gives it back.
    const messages = await adminRequest(app, 'get', `/admin/v1/users/${user.id}/messages`, acme.apiKey).expect(200);
    expect(messages.body.items[0].subject).toBe(`subject ${marker}`);
    const files = await adminRequest(app, 'get', `/admin/v1/users/${user.id}/files`, acme.apiKey).expect(200);
    expect(files.body.items[0].name).toBe(`${marker}.txt`);
    const fetched = await adminRequest(app, 'get', `/admin/v1/users/${user.id}/files/${file.body.id}/content`, acme.apiKey)
      .buffer(true)
      .parse(collectBytes)
      .expect(200);
    expect((fetched.body as Buffer).equals(content)).toBe(true);

    const scanned = serviceFiles();
    if (e2eDatabase() === 'sqlite') {
      expect(scanned.some((path) => path.endsWith('.sqlite') || path.endsWith('.db'))).toBe(true);
      expect(scanned.some((path) => path.endsWith('-wal'))).toBe(true);
    }
    expect(holding(scanned, marker)).toEqual([]);
  });

  it('on MariaDB: the table files (when this user can read them) and the columns hold no marker', async () => {
    const user = await createUser(app, acme.organizationId);
    await adminRequest(app, 'post', `/admin/v1/users/${user.id}/messages`, acme.apiKey, { subject: marker, body: marker }).expect(201);
    await uploadRequest(app, acme.apiKey, user.id, marker, Buffer.from(marker)).expect(201);
    const dataSource = app.get(DataSource);
    const [{ count }] = await dataSource.query<{ count: number | string }[]>(
      'SELECT (SELECT COUNT(*) FROM messages WHERE subject LIKE ? OR body LIKE ?) + (SELECT COUNT(*) FROM files WHERE name LIKE ?) AS count',
      [`%${marker}%`, `%${marker}%`, `%${marker}%`],
    );
    expect(Number(count)).toBe(0);
    if (e2eDatabase() !== 'mysql') {
      return;
    }
    const [{ datadir, schema }] = await dataSource.query<{ datadir: string; schema: string }[]>(
      'SELECT @@datadir AS datadir, DATABASE() AS schema',
    );
    let tableFiles: string[];
    try {
      // The redo log holds every change before the pages are flushed to the table files.
      tableFiles = [
        ...filesUnder(join(datadir, schema)),
        ...readdirSync(datadir)
          .filter((name) => name.startsWith('ib_logfile'))
          .map((name) => join(datadir, name)),
      ];
    } catch (error) {
      // Not readable by this user: the SQL check above is what there is.
      console.warn(`MariaDB's data directory ${datadir} is not readable here (${(error as Error).message}); checked through SQL only`);
      return;
    }
    await dataSource.query('FLUSH TABLES messages, files');
    expect(tableFiles.some((path) => path.endsWith('messages.ibd'))).toBe(true);
    expect(
      holding(
        tableFiles.filter((path) => statSync(path).size > 0),
        marker,
      ),
    ).toEqual([]);
  });

  it('an upload killed with SIGKILL mid-stream leaves no plaintext in staging or storage', async () => {
    const user = await createUser(app, acme.organizationId);
    const port = await freePort();
    const server: ChildProcess = startServer({ HOST: '127.0.0.1', PORT: String(port), PROCESS_ROLE: 'api' });
    try {
      expect((await waitForHttp(`http://127.0.0.1:${port}/health/ready`, 30_000)).status).toBe(200);
      const content = Buffer.from(`${marker}\n`.repeat(Math.ceil((8 * FILE_CHUNK_BYTES) / (marker.length + 1))));
      const path = `/admin/v1/users/${user.id}/files?name=${marker}.txt`;
      const digest = sha256(content);
      const upload = httpRequest({
        host: '127.0.0.1',
        port,
        method: 'POST',
        path,
        headers: {
          ...adminSignatureHeaders(acme.apiKey, { method: 'POST', pathWithQuery: path, contentSha256: digest }),
          'ss-content-sha256': digest,
          'content-type': 'application/octet-stream',
          'content-length': String(content.length),
        },
      });
      upload.on('error', () => undefined);
      // Half of the content: several chunks sealed and staged, the rest never comes.
      upload.write(content.subarray(0, content.length / 2));
      const staging = join(app.get(Settings).fileStorage.directory, '.incoming');
      const deadline = Date.now() + 20_000;
      while (!stagedBytes(staging) && Date.now() < deadline) {
        await sleep(50);
      }
      expect(stagedBytes(staging)).toBe(true);
      server.kill('SIGKILL');
      await once(server, 'exit');
      upload.destroy();
      expect(holding(serviceFiles(), marker)).toEqual([]);
    } finally {
      server.kill('SIGKILL');
    }
  });
});

/** Whether some staging file holds bytes (an upload is under way). */
function stagedBytes(staging: string): boolean {
  try {
    return filesUnder(staging).some((path) => statSync(path).size > 0);
  } catch {
    return false;
  }
}
