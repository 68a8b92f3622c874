import { INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { APP_OPTIONS, configureApp, createHttpAdapter } from '../../src/app-setup';
import { AppModule } from '../../src/app.module';

/** The real AppModule, configured as main.ts configures it, on this file's test database (on `port`, or a free one). */
export async function createTestApp(port = 0): Promise<INestApplication> {
  const moduleRef = await Test.createTestingModule({ imports: [AppModule] }).compile();
  const app = moduleRef.createNestApplication(createHttpAdapter(), APP_OPTIONS);
  configureApp(app);
  // Listening (on a free loopback port) keeps one address for every request, as production does:
  // SCIM locations built from the request's host stay stable between calls.
  await app.listen(port, '127.0.0.1');
  return app;
}

/** createTestApp with PROCESS_ROLE set to `role` while the app is built (settings are read then), restored after. */
export async function createTestAppWithRole(role: 'api' | 'worker' | 'all'): Promise<INestApplication> {
  const previous = process.env.PROCESS_ROLE;
  process.env.PROCESS_ROLE = role;
  try {
    return await createTestApp();
  } finally {
    if (previous === undefined) {
      delete process.env.PROCESS_ROLE;
    } else {
      process.env.PROCESS_ROLE = previous;
    }
  }
}
