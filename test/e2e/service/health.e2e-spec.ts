import { INestApplication } from '@nestjs/common';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { e2eDatabase } from '../../support/e2e-target';
import { createTestApp } from '../../support/test-app';

describe('health and request ids', () => {
  let app: INestApplication;

  beforeAll(async () => {
    app = await createTestApp();
  });

  afterAll(async () => {
    await app.close();
  });

  it('reports liveness without consulting dependencies', async () => {
    const response = await request(app.getHttpServer()).get('/health/live').expect(200);
    expect(response.body).toEqual({ status: 'ok' });
  });

  it('reports readiness of the database, and of Redis when it is configured', async () => {
    const response = await request(app.getHttpServer()).get('/health/ready').expect(200);
    expect(response.body.status).toBe('ok');
    expect(response.body.details.database.status).toBe('up');
    if (e2eDatabase() === 'mysql') {
      expect(response.body.details.redis.status).toBe('up');
    } else {
      expect(response.body.details.redis).toBeUndefined();
    }
  });

  it('gives every response a request id, keeping a safe one the client sent', async () => {
    const generated = await request(app.getHttpServer()).get('/health/live').expect(200);
    expect(generated.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);

    const kept = await request(app.getHttpServer()).get('/health/live').set('X-Request-Id', 'okta-abc.123').expect(200);
    expect(kept.headers['x-request-id']).toBe('okta-abc.123');

    const replaced = await request(app.getHttpServer()).get('/health/live').set('X-Request-Id', 'bad id\twith "quotes"').expect(200);
    expect(replaced.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('does not announce the framework', async () => {
    const response = await request(app.getHttpServer()).get('/health/live').expect(200);
    expect(response.headers['x-powered-by']).toBeUndefined();
  });
});

describe('readiness when Redis is configured but unreachable', () => {
  let app: INestApplication;
  const saved = { url: process.env.REDIS_URL, timeout: process.env.HEALTH_CHECK_TIMEOUT_MS };

  beforeAll(async () => {
    process.env.REDIS_URL = 'redis://127.0.0.1:1';
    process.env.HEALTH_CHECK_TIMEOUT_MS = '500';
    app = await createTestApp();
  });

  afterAll(async () => {
    await app.close();
    restore('REDIS_URL', saved.url);
    restore('HEALTH_CHECK_TIMEOUT_MS', saved.timeout);
  });

  it('answers 503 naming Redis as down while the database stays up', async () => {
    const response = await request(app.getHttpServer()).get('/health/ready').expect(503);
    expect(response.body.status).toBe('error');
    expect(response.body.details.database.status).toBe('up');
    expect(response.body.details.redis.status).toBe('down');
  });
});

function restore(name: string, value: string | undefined): void {
  if (value === undefined) {
    delete process.env[name];
  } else {
    process.env[name] = value;
  }
}
