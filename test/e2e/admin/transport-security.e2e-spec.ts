import { INestApplication } from '@nestjs/common';
import request from 'supertest';
import { afterEach, describe, expect, it } from 'vitest';
import { createTestApp } from '../../support/test-app';

const PATHS = ['/health/live', '/scim/v2/Users', '/admin/v1/organization', '/admin/docs'];

describe('HSTS and upgrade-insecure-requests are sent only over HTTPS', () => {
  let app: INestApplication | undefined;

  afterEach(async () => {
    await app?.close();
    app = undefined;
    delete process.env.TRUST_PROXY;
  });

  async function headersOf(path: string, forwardedProto?: string): Promise<Record<string, string>> {
    const test = request(app!.getHttpServer()).get(path);
    const response = forwardedProto === undefined ? await test : await test.set('X-Forwarded-Proto', forwardedProto);
    return response.headers;
  }

  function expectPlainHttpHeaders(headers: Record<string, string>): void {
    expect(headers['strict-transport-security']).toBeUndefined();
    expect(headers['content-security-policy']).toBeDefined();
    expect(headers['content-security-policy']).not.toContain('upgrade-insecure-requests');
    expect(headers['x-content-type-options']).toBe('nosniff');
  }

  it('without a trusted proxy: never, even when X-Forwarded-Proto claims https', async () => {
    app = await createTestApp();
    for (const path of PATHS) {
      for (const proto of [undefined, 'https', 'http']) {
        expectPlainHttpHeaders(await headersOf(path, proto));
      }
    }
  });

  it('behind a trusted proxy: when it forwarded an HTTPS request, and only then', async () => {
    process.env.TRUST_PROXY = 'loopback';
    app = await createTestApp();
    for (const path of PATHS) {
      for (const proto of ['https', 'HTTPS', 'http, https']) {
        const headers = await headersOf(path, proto);
        expect(headers['strict-transport-security'], `${path} ${proto}`).toMatch(/^max-age=\d+; includeSubDomains$/);
        expect(headers['content-security-policy']).toContain('upgrade-insecure-requests');
      }
      for (const proto of [undefined, 'http', 'https, http']) {
        expectPlainHttpHeaders(await headersOf(path, proto));
      }
    }
    // Each page keeps its own policy either way.
    expect((await headersOf('/admin/docs', 'https'))['content-security-policy']).toContain("script-src 'self' 'unsafe-inline'");
    expect((await headersOf('/scim/v2/Users', 'https'))['content-security-policy']).toContain("default-src 'none'");
  });
});
