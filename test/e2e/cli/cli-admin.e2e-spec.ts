import { ChildProcess } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, runCli, startServer, waitForHttp } from '../../support/processes';
import { rememberSecret } from '../../support/secret-ledger';

type Printed = { organization: { id: string }; admin: { id: string; role: string }; apiKey: { id: string; key: string; secret: string } };

/** The operator's whole path through the CLI, against a real server process on this file's database. */
describe('operator flow through the CLI', () => {
  let server: ChildProcess;
  let baseUrl: string;
  let bootstrapped: Printed;

  beforeAll(async () => {
    const port = await freePort();
    baseUrl = `http://127.0.0.1:${port}`;
    const result = await runCli([
      'bootstrap',
      '--org-name',
      'Cli Org',
      '--hostname',
      'cli.example.org',
      '--admin-email',
      'root@cli.example.org',
    ]);
    expect(result.code).toBe(0);
    bootstrapped = JSON.parse(result.stdout) as Printed;
    rememberSecret(bootstrapped.apiKey.secret);
    server = startServer({ PORT: String(port), HOST: '127.0.0.1', PUBLIC_BASE_URL: 'https://files.cli.example.org' });
    expect((await waitForHttp(`${baseUrl}/health/ready`, 20_000)).status).toBe(200);
  });

  afterAll(() => {
    server?.kill('SIGTERM');
  });

  function admin(args: string[], key = bootstrapped.apiKey) {
    return runCli(['admin', ...args], { ADMIN_API_URL: baseUrl, ADMIN_API_KEY: key.key, ADMIN_API_SECRET: key.secret });
  }

  it('signs admin requests: key → SCIM credentials → SCIM request', async () => {
    const created = await admin(['POST', '/admin/v1/api-keys', '--data', '{"description":"okta"}']);
    expect(created.code).toBe(0);
    const key = JSON.parse(created.stdout) as { id: string; key: string; secret: string };
    rememberSecret(key.secret);

    const issued = await admin(['POST', `/admin/v1/api-keys/${key.id}/scim-credentials`], { ...key });
    expect(issued.code).toBe(0);
    const credentials = JSON.parse(issued.stdout) as { username: string; password: string; scimBaseUrl: string };
    rememberSecret(credentials.password);
    expect(credentials.scimBaseUrl).toBe('https://files.cli.example.org/scim/v2');

    const scim = await fetch(`${baseUrl}/scim/v2/Users?startIndex=1&count=2`, {
      headers: { Authorization: `Basic ${Buffer.from(`${credentials.username}:${credentials.password}`).toString('base64')}` },
    });
    expect(scim.status).toBe(200);
    const body = (await scim.json()) as { totalResults: number; Resources: { meta: { location: string } }[] };
    expect(body.totalResults).toBe(1);
    expect(body.Resources[0]?.meta.location).toBe(`https://files.cli.example.org/scim/v2/Users/${bootstrapped.admin.id}`);

    const listed = await admin(['GET', '/admin/v1/api-keys']);
    expect(listed.code).toBe(0);
    expect((JSON.parse(listed.stdout) as { items: unknown[] }).items).toHaveLength(2);
  });

  it('signs every request with a fresh nonce: the same command twice in a row succeeds twice', async () => {
    const first = await admin(['GET', '/admin/v1/organization']);
    const second = await admin(['GET', '/admin/v1/organization']);
    expect([first.code, second.code]).toEqual([0, 0]);
    expect(JSON.parse(second.stdout)).toMatchObject({ id: bootstrapped.organization.id });
  });

  it('prints the error body and exits non-zero when the server refuses', async () => {
    const refused = await admin(['GET', '/admin/v1/organization'], { ...bootstrapped.apiKey, secret: 'not-the-secret' });
    expect(refused.code).toBe(1);
    expect(JSON.parse(refused.stdout)).toMatchObject({ statusCode: 401 });
    expect(refused.stderr).toContain('HTTP 401');
  });

  it('explains missing settings and bad usage', async () => {
    const missing = await runCli(['admin', 'GET', '/admin/v1/organization'], { ADMIN_API_KEY: '', ADMIN_API_SECRET: '' });
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('ADMIN_API_KEY');
    expect(missing.stderr).toContain('ADMIN_API_SECRET');
    const usage = await admin(['FETCH', '/x']);
    expect(usage.code).toBe(2);
    const badJson = await admin(['POST', '/admin/v1/api-keys', '--data', '{oops']);
    expect(badJson.code).toBe(2);
    const unknownOption = await admin(['GET', '/admin/v1/organization', '--verbose']);
    expect(unknownOption.code).toBe(2);
    expect(unknownOption.stderr).toContain("Unknown option '--verbose'");
    expect(unknownOption.stderr).toContain('admin METHOD PATH [--data JSON]');
    const missingData = await admin(['POST', '/admin/v1/api-keys', '--data']);
    expect(missingData.code).toBe(2);
    expect(missingData.stderr).toContain('--data JSON');
  });

  it('prints its usage on --help, with or without a method and path, and sends nothing', async () => {
    for (const args of [['--help'], ['GET', '/admin/v1/organization', '--help'], ['-h']]) {
      const help = await runCli(['admin', ...args], { ADMIN_API_URL: 'http://127.0.0.1:9', ADMIN_API_KEY: '', ADMIN_API_SECRET: '' });
      expect(help.code, args.join(' ')).toBe(0);
      expect(help.stdout).toContain('npm run -s cli -- admin METHOD PATH [--data JSON]');
      expect(help.stdout).toContain('ADMIN_API_SECRET');
      expect(help.stderr).toBe('');
    }
  });

  it('grant-admin recovers an organization with a new administrator and key', async () => {
    const granted = await runCli([
      'grant-admin',
      '--hostname',
      'CLI.example.org',
      '--email',
      'rescuer@cli.example.org',
      '--given-name',
      'Res',
      '--family-name',
      'Cuer',
    ]);
    expect(granted.stderr).toBe('');
    expect(granted.code).toBe(0);
    const printed = JSON.parse(granted.stdout) as Printed;
    rememberSecret(printed.apiKey.secret);
    expect(printed.organization.id).toBe(bootstrapped.organization.id);
    expect(printed.admin.role).toBe('admin');
    const organization = await admin(['GET', '/admin/v1/organization'], printed.apiKey);
    expect(organization.code).toBe(0);
    expect(JSON.parse(organization.stdout)).toMatchObject({ users: { total: 2, administrators: 2 } });

    const again = await runCli(['grant-admin', '--hostname', 'cli.example.org', '--email', 'RESCUER@cli.example.org']);
    expect(again.code).toBe(0);
    rememberSecret((JSON.parse(again.stdout) as Printed).apiKey.secret);
    expect((JSON.parse(again.stdout) as Printed).admin.id).toBe(printed.admin.id);

    const unknown = await runCli(['grant-admin', '--hostname', 'nope.example.org', '--email', 'x@nope.example.org']);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain('Organization with hostname "nope.example.org" not found');
  });
});
