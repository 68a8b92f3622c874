import { INestApplication } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminRequest, bootstrapOrganization, BootstrappedOrganization } from '../../support/admin-api';
import { writeDirectly } from '../../support/direct-writes';
import { e2eDatabase } from '../../support/e2e-target';
import { createTestApp } from '../../support/test-app';

const RENAME = 'UPDATE organizations SET name = ? WHERE id = ?';

describe("the service's SQLite write guard", () => {
  let app: INestApplication;
  let org: BootstrappedOrganization;

  beforeAll(async () => {
    app = await createTestApp();
    org = await bootstrapOrganization(app, 'guard');
  });

  afterAll(async () => {
    await app.close();
  });

  const nameOf = async (): Promise<string> =>
    ((await adminRequest(app, 'get', '/admin/v1/organization', org.apiKey).expect(200)).body as { name: string }).name;

  it('refuses on SQLite a write that bypasses the serialising turn, and changes nothing; MySQL has no shared connection to guard', async () => {
    const before = await nameOf();
    const bypass = app.get(DataSource).query(RENAME, ['Renamed behind the turn', org.organizationId]);
    if (e2eDatabase() === 'sqlite') {
      await expect(bypass).rejects.toThrow(/SQLite write outside the write turn/);
      expect(await nameOf()).toBe(before);
    } else {
      await bypass;
      expect(await nameOf()).toBe('Renamed behind the turn');
    }
  });

  it('lets the same write through inside the turn, and the service keeps writing after a refusal', async () => {
    await writeDirectly(app, (dataSource) => dataSource.query(RENAME, ['Renamed in turn', org.organizationId]));
    expect(await nameOf()).toBe('Renamed in turn');
    const created = await adminRequest(app, 'post', '/admin/v1/api-keys', org.apiKey, { description: 'after the refusal' }).expect(201);
    expect(created.body).toMatchObject({ description: 'after the refusal' });
  });
});
