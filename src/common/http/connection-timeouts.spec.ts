import { describe, expect, it } from 'vitest';
import { createHttpAdapter } from '../../app-setup';
import { validateEnvironment } from '../../config/environment';
import { Settings } from '../../config/settings';

function settings(env: Record<string, string>): Settings {
  return new Settings(validateEnvironment({ NODE_ENV: 'test', ...env }));
}

describe('HTTP server timeouts', () => {
  it.each([
    ['the defaults', {}],
    [
      'the largest values',
      {
        HTTP_HEADERS_TIMEOUT_MS: '600000',
        HTTP_BODY_TIMEOUT_MS: '600000',
        HTTP_IDLE_TIMEOUT_MS: '3600000',
        HTTP_KEEP_ALIVE_TIMEOUT_MS: '3600000',
        // The staged-upload sweep must outlast the idle timeout, or the service refuses to start.
        STAGED_UPLOAD_ABANDONED_AFTER_MS: '3600001',
      },
    ],
    [
      'the smallest values',
      { HTTP_HEADERS_TIMEOUT_MS: '100', HTTP_BODY_TIMEOUT_MS: '100', HTTP_IDLE_TIMEOUT_MS: '100', HTTP_KEEP_ALIVE_TIMEOUT_MS: '100' },
    ],
  ])('are applied to the Node server with %s', (_case, env) => {
    const configured = settings(env);
    const server = createHttpAdapter(configured).getInstance().server;
    expect(server.headersTimeout).toBe(configured.httpTimeouts.headersMs);
    expect(server.timeout).toBe(configured.httpTimeouts.idleMs);
    expect(server.keepAliveTimeout).toBe(configured.httpTimeouts.keepAliveMs);
    // The body deadline is the service's own (uploads are exempt), so Node's total one stays off.
    expect(server.requestTimeout).toBe(0);
  });

  it('refuses values outside the documented ranges', () => {
    expect(() => settings({ HTTP_HEADERS_TIMEOUT_MS: '50' })).toThrow(/HTTP_HEADERS_TIMEOUT_MS/);
    expect(() => settings({ HTTP_IDLE_TIMEOUT_MS: 'soon' })).toThrow(/HTTP_IDLE_TIMEOUT_MS/);
  });
});
