import { INestApplication } from '@nestjs/common';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminRequest } from '../../support/admin-api';
import { uploadRequest } from '../../support/purge-fixtures';
import { okta, oktaUser, patchOp, ScimTenant, scimTenant } from '../../support/scim-client';
import { rememberSecret } from '../../support/secret-ledger';
import { createTestApp } from '../../support/test-app';

/**
 * After a deactivation through SCIM, the user's history is crypto-shredded: 410 with the time.
 * This needs the deactivation to destroy the data key (issue 13, part 3): until that lands, this
 * file fails on the first 410 expected, and nothing else does.
 */
describe('history of a deactivated user', () => {
  let app: INestApplication;
  let tenant: ScimTenant;

  beforeAll(async () => {
    app = await createTestApp();
    tenant = await scimTenant(app, 'shredded');
    rememberSecret(tenant.apiKey.secret);
  });

  afterAll(async () => {
    await app.close();
  });

  it('answers 410 Gone, saying when the content was crypto-shredded', async () => {
    const user = (await okta(app, tenant).post('/Users', oktaUser('leaver@shredded.example.com')).expect(201)).body as { id: string };
    await adminRequest(app, 'post', `/admin/v1/users/${user.id}/messages`, tenant.apiKey, { subject: 's', body: 'b' }).expect(201);
    const file = (await uploadRequest(app, tenant.apiKey, user.id, 'f.txt', Buffer.from('f')).expect(201)).body as { id: number };
    const before = Date.now();
    await okta(app, tenant)
      .patch(`/Users/${user.id}`, patchOp({ op: 'replace', value: { active: false } }))
      .expect(200);
    for (const path of ['messages', 'files', `files/${file.id}/content`]) {
      const response = await adminRequest(app, 'get', `/admin/v1/users/${user.id}/${path}`, tenant.apiKey).expect(410);
      expect(response.body).toMatchObject({ statusCode: 410, error: 'content_shredded' });
      const at = /crypto-shredded at (\S+)\.$/.exec(response.body.message as string)?.[1];
      expect(new Date(at ?? '').getTime()).toBeGreaterThanOrEqual(before - 1000);
    }
  });
});
