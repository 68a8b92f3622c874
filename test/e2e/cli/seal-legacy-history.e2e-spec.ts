import { INestApplication } from '@nestjs/common';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminRequest, bootstrapOrganization, BootstrappedOrganization } from '../../support/admin-api';
import { writeDirectly } from '../../support/direct-writes';
import { runCli } from '../../support/processes';
import { createUser } from '../../support/purge-fixtures';
import { rememberSecret } from '../../support/secret-ledger';
import { createTestApp } from '../../support/test-app';

/** `npm run -s cli -- seal-legacy-history`, run by an operator beside the serving service. */
describe('seal-legacy-history command', () => {
  let app: INestApplication;
  let acme: BootstrappedOrganization;

  beforeAll(async () => {
    app = await createTestApp();
    acme = await bootstrapOrganization(app, 'seal-cli');
    rememberSecret(acme.apiKey.secret);
  });

  afterAll(async () => {
    await app.close();
  });

  it('seals legacy messages, reports progress on stderr and a JSON report on stdout, and a second run has nothing left to do', async () => {
    const user = await createUser(app, acme.organizationId);
    for (let index = 0; index < 3; index += 1) {
      // As the service wrote messages before content was encrypted: text, no data key.
      await writeDirectly(app, (dataSource) =>
        dataSource.query('INSERT INTO messages (organization_id, user_id, subject, body) VALUES (?, ?, ?, ?)', [
          acme.organizationId,
          user.id,
          `legacy ${index}`,
          'plain',
        ]),
      );
    }
    const first = await runCli(['seal-legacy-history', '--batch-size', '2']);
    expect(first.code).toBe(0);
    expect(first.stderr).toContain('legacy messages: 3 of 3');
    expect(JSON.parse(first.stdout)).toEqual({
      messages: { sealed: 3, left: 0 },
      files: { sealed: 0, left: 0 },
      remaining: { messages: 0, files: 0 },
    });
    const read = await adminRequest(app, 'get', `/admin/v1/users/${user.id}/messages`, acme.apiKey).expect(200);
    const items = (read.body as { items: { subject: string }[] }).items;
    expect(items.map((item) => item.subject)).toEqual(['legacy 2', 'legacy 1', 'legacy 0']);
    const second = await runCli(['seal-legacy-history']);
    expect(JSON.parse(second.stdout)).toMatchObject({ messages: { sealed: 0, left: 0 } });
    expect((await runCli(['seal-legacy-history', '--batch-size', '0'])).code).not.toBe(0);
  });
});
