import { describe, expect, it } from 'vitest';
import { DependencyLoadError, loadOnDemand } from './load-on-demand';

describe('loadOnDemand', () => {
  it('imports once, on first use, and hands every caller the same module', async () => {
    let imports = 0;
    const load = loadOnDemand('a library', () => {
      imports += 1;
      return Promise.resolve({ answer: 42 });
    });
    expect(imports).toBe(0);
    const [first, second] = await Promise.all([load(), load()]);
    expect(first).toBe(second);
    expect(await load()).toBe(first);
    expect(imports).toBe(1);
  });

  it('names the dependency that failed to load, keeps the cause, and tries again on the next use', async () => {
    let attempts = 0;
    const load = loadOnDemand('The SAML library (@node-saml/node-saml)', () => {
      attempts += 1;
      return attempts === 1 ? Promise.reject(new Error("Cannot find module '@node-saml/node-saml'")) : Promise.resolve('loaded');
    });
    const failure = await load().catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(DependencyLoadError);
    expect((failure as Error).message).toBe(
      "The SAML library (@node-saml/node-saml) could not be loaded: Cannot find module '@node-saml/node-saml'",
    );
    expect((failure as Error).cause).toBeInstanceOf(Error);
    expect(await load()).toBe('loaded');
    expect(attempts).toBe(2);
  });

  it('reports a real missing package by name', async () => {
    const absent = './absent-module-for-this-test.js';
    const load = loadOnDemand('An absent driver', () => import(absent));
    await expect(load()).rejects.toThrow(/^An absent driver could not be loaded: .*absent-module-for-this-test/);
  });
});
