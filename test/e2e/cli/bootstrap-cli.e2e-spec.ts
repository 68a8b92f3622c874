import { INestApplication } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminRequest } from '../../support/admin-api';
import { runCli } from '../../support/processes';
import { rememberSecret } from '../../support/secret-ledger';
import { createTestApp } from '../../support/test-app';

describe('npm run cli -- bootstrap', () => {
  let app: INestApplication;
  let dataSource: DataSource;

  beforeAll(async () => {
    // Building the app first also migrates this file's database.
    app = await createTestApp();
    dataSource = app.get(DataSource);
  });

  afterAll(async () => {
    await app.close();
  });

  // Refusals must write nothing in any organization: only the tables show all of them at once.
  async function rowCounts(): Promise<Record<string, number>> {
    const counts: Record<string, number> = {};
    for (const table of ['organizations', 'users', 'api_keys']) {
      const [row] = await dataSource.query<{ n: number | string }[]>(`SELECT COUNT(*) AS n FROM ${table}`);
      counts[table] = Number(row?.n);
    }
    return counts;
  }

  it('creates the organization and its administrator and prints them as one JSON object', async () => {
    const result = await runCli([
      'bootstrap',
      '--org-name',
      'Acme Corp',
      '--hostname',
      'Files.Acme.Example',
      '--admin-email',
      'Jane.Doe@acme.example',
      '--admin-given-name',
      'Jane',
      '--admin-family-name',
      'Doe',
    ]);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const printed = JSON.parse(result.stdout) as {
      organization: { id: string; name: string; hostname: string };
      admin: { id: string; userName: string; role: string; active: boolean; givenName: string; familyName: string };
      apiKey: { id: string; key: string; secret: string };
    };
    rememberSecret(printed.apiKey.secret);
    expect(Object.keys(printed)).toEqual(['organization', 'admin', 'apiKey']);
    expect(printed.apiKey).toEqual({ id: expect.any(String), key: expect.stringMatching(/^ak_/), secret: expect.any(String) });
    const keys = (await adminRequest(app, 'get', '/admin/v1/api-keys', printed.apiKey).expect(200)).body as {
      items: { id: string; owner: { id: string } }[];
    };
    expect(keys.items).toEqual([
      expect.objectContaining({ id: printed.apiKey.id, owner: expect.objectContaining({ id: printed.admin.id }) }),
    ]);
    // What is on disk is the point: the secret is stored encrypted, never as printed.
    const [storedKey] = await dataSource.query<{ secret_ciphertext: string }[]>('SELECT secret_ciphertext FROM api_keys WHERE id = ?', [
      printed.apiKey.id,
    ]);
    expect(storedKey?.secret_ciphertext).not.toContain(printed.apiKey.secret);
    expect(printed.organization).toMatchObject({ name: 'Acme Corp', hostname: 'files.acme.example' });
    expect(printed.admin).toMatchObject({
      userName: 'Jane.Doe@acme.example',
      role: 'admin',
      active: true,
      givenName: 'Jane',
      familyName: 'Doe',
    });

    const organization = await adminRequest(app, 'get', '/admin/v1/organization', printed.apiKey).expect(200);
    expect(organization.body).toMatchObject({ id: printed.organization.id, users: { total: 1, administrators: 1 } });
    const admin = await adminRequest(app, 'get', `/admin/v1/users/${printed.admin.id}`, printed.apiKey).expect(200);
    expect(admin.body).toMatchObject({ id: printed.admin.id, userName: 'Jane.Doe@acme.example', role: 'admin', active: true });
    // The uniqueness key is internal (no API shows it): stored folded, as SCIM compares userNames.
    const [stored] = await dataSource.query<{ user_name_normalized: string }[]>('SELECT user_name_normalized FROM users WHERE id = ?', [
      printed.admin.id,
    ]);
    expect(stored?.user_name_normalized).toBe('jane.doe@acme.example');
  });

  it('gives the administrator names even when none are passed', async () => {
    const result = await runCli(['bootstrap', '--org-name', 'Beta', '--hostname', 'beta.example', '--admin-email', 'ops@beta.example']);
    expect(result.code).toBe(0);
    const printed = JSON.parse(result.stdout) as { admin: { givenName: string; familyName: string }; apiKey: { secret: string } };
    rememberSecret(printed.apiKey.secret);
    expect(printed.admin.givenName).toBe('ops');
    expect(printed.admin.familyName).toBe('Administrator');
  });

  it('refuses a hostname that exists (in any case) on stderr with a non-zero exit, writing nothing', async () => {
    const before = await rowCounts();
    const result = await runCli([
      'bootstrap',
      '--org-name',
      'Other',
      '--hostname',
      'FILES.acme.example',
      '--admin-email',
      'x@other.example',
    ]);
    expect(result.code).toBe(1);
    expect(result.stdout).toBe('');
    expect(result.stderr).toContain('An organization with hostname "files.acme.example" already exists');
    expect(await rowCounts()).toEqual(before);
  });

  it('lists every invalid input at once with a usage exit code, writing nothing', async () => {
    const before = await rowCounts();
    const result = await runCli(['bootstrap', '--org-name', ' ', '--hostname', 'not a host', '--admin-email', 'nope']);
    expect(result.code).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr).toContain('orgName should not be empty');
    expect(result.stderr).toContain('hostname must be a DNS name');
    expect(result.stderr).toContain('adminEmail must be an email address');
    expect(await rowCounts()).toEqual(before);
  });

  it('rejects unknown options and commands with usage', async () => {
    const unknownOption = await runCli(['bootstrap', '--org', 'x']);
    expect(unknownOption.code).toBe(2);
    expect(unknownOption.stderr).toContain('Usage:');

    const unknownCommand = await runCli(['frobnicate']);
    expect(unknownCommand.code).toBe(2);
    expect(unknownCommand.stderr).toContain('Unknown command "frobnicate"');
  });

  it('prints the usage of every command on --help with exit 0, writing nothing', async () => {
    const before = await rowCounts();
    for (const [args, shows] of [
      [['bootstrap', '--help'], '--org-name NAME'],
      [['bootstrap', '--org-name', 'x', '-h'], '--org-name NAME'],
      [['grant-admin', '--help'], '--given-name NAME'],
      [['admin', '--help'], '--data JSON'],
      [['help', 'admin'], '--data JSON'],
      [['--help'], 'COMMAND --help'],
    ] as const) {
      const result = await runCli([...args]);
      expect(result.code, args.join(' ')).toBe(0);
      expect(result.stdout, args.join(' ')).toMatch(/^Usage:\n/);
      expect(result.stdout, args.join(' ')).toContain(shows);
      expect(result.stderr, args.join(' ')).toBe('');
    }
    expect(await rowCounts()).toEqual(before);
  });

  it('answers no command with the usage on stderr and the usage exit code', async () => {
    const result = await runCli([]);
    expect(result.code).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr).toContain('No command given.');
    expect(result.stderr).toContain('npm run -s cli -- bootstrap');
  });
});
