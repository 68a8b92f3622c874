import { setImmediate as afterIo } from 'node:timers/promises';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ScimLimitSettings, Settings } from '../config/settings';
import { MetricsRegistry } from '../metrics/metrics-registry';
import { CredentialBusyException, Release, ScimRequestLimiter } from './scim-request-limiter';

const LIMITS: ScimLimitSettings = {
  filterMaxClauses: 10,
  filterTimeLimitMs: 0,
  concurrentPerCredential: 2,
  queuedPerCredential: 2,
  queueTimeoutMs: 1000,
  restAfterSlowTurns: false,
};

function limiterWith(overrides: Partial<ScimLimitSettings> = {}): { limiter: ScimRequestLimiter; registry: MetricsRegistry } {
  const registry = new MetricsRegistry();
  return { limiter: new ScimRequestLimiter({ scimLimits: { ...LIMITS, ...overrides } } as Settings, registry), registry };
}

async function metricValue(registry: MetricsRegistry, name: string, labels: Record<string, string> = {}): Promise<number | undefined> {
  const metric = registry.getSingleMetric(name);
  const { values } = await metric!.get();
  return values.find((value) => Object.entries(labels).every(([key, label]) => value.labels[key] === label))?.value;
}

/** The settled state of a promise, without waiting for it. */
async function stateOf(promise: Promise<unknown>): Promise<'pending' | 'fulfilled' | 'rejected'> {
  const pending = Symbol('pending');
  try {
    return (await Promise.race([promise, afterIo(undefined).then(() => pending)])) === pending ? 'pending' : 'fulfilled';
  } catch {
    return 'rejected';
  }
}

afterEach(() => {
  vi.useRealTimers();
});

describe('ScimRequestLimiter', () => {
  it('lets the configured number of requests run and the next ones wait, admitted first come, first served', async () => {
    const { limiter } = limiterWith();
    const first = await limiter.acquire('okta');
    await limiter.acquire('okta');
    const admitted: string[] = [];
    const third = limiter.acquire('okta').then((release) => (admitted.push('third'), release));
    const fourth = limiter.acquire('okta').then((release) => (admitted.push('fourth'), release));
    expect(await stateOf(third)).toBe('pending');

    first();
    await third;
    expect(admitted).toEqual(['third']);
    expect(await stateOf(fourth)).toBe('pending');
    (await third)();
    await fourth;
    expect(admitted).toEqual(['third', 'fourth']);
  });

  it('refuses at once, with 429 and Retry-After, when the line is full; counted in metrics', async () => {
    const { limiter, registry } = limiterWith();
    await limiter.acquire('okta');
    await limiter.acquire('okta');
    const waiting = [limiter.acquire('okta'), limiter.acquire('okta')];
    const refused = await limiter.acquire('okta').catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(CredentialBusyException);
    expect((refused as CredentialBusyException).getStatus()).toBe(429);
    expect((refused as CredentialBusyException).retryAfterSeconds).toBe(1);
    expect((refused as CredentialBusyException).reason).toBe('queue_full');
    expect((refused as CredentialBusyException).message).toBe(
      'Too many concurrent requests with this SCIM credential: this service processes 2 requests of one SCIM credential at a time and lets up to 2 more wait, each for at most 1000 ms. Retry after 1 second.',
    );
    expect(await metricValue(registry, 'scim_credential_requests_throttled_total', { reason: 'queue_full' })).toBe(1);
    expect(await metricValue(registry, 'scim_credential_requests_waiting')).toBe(2);
    expect(await metricValue(registry, 'scim_credential_requests_running')).toBe(2);
    expect(await Promise.all(waiting.map(stateOf))).toEqual(['pending', 'pending']);
  });

  it('refuses a request that waited past the timeout, and leaves the line without it', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const { limiter, registry } = limiterWith({ concurrentPerCredential: 1 });
    const running = await limiter.acquire('okta');
    const late = limiter.acquire('okta').catch((error: unknown) => error);
    await vi.advanceTimersByTimeAsync(999);
    const patient = limiter.acquire('okta');
    await vi.advanceTimersByTimeAsync(1);
    expect(((await late) as CredentialBusyException).reason).toBe('wait_timeout');
    expect(await metricValue(registry, 'scim_credential_requests_throttled_total', { reason: 'wait_timeout' })).toBe(1);

    // The turn goes to the one still waiting, not to the one that gave up.
    running();
    await vi.advanceTimersByTimeAsync(0);
    (await patient)();
    expect(await metricValue(registry, 'scim_credential_requests_running')).toBe(0);
    expect(await metricValue(registry, 'scim_credential_requests_waiting')).toBe(0);
  });

  it('keeps credentials apart: one that is saturated does not delay another', async () => {
    const { limiter } = limiterWith({ concurrentPerCredential: 1, queuedPerCredential: 0 });
    await limiter.acquire('flooding');
    await expect(limiter.acquire('flooding')).rejects.toBeInstanceOf(CredentialBusyException);
    expect(await stateOf(limiter.acquire('okta'))).toBe('fulfilled');
  });

  it('frees a turn once, however often its release is called', async () => {
    const { limiter } = limiterWith({ concurrentPerCredential: 1 });
    const release = await limiter.acquire('okta');
    const second = limiter.acquire('okta');
    const third = limiter.acquire('okta');
    release();
    release();
    await second;
    expect(await stateOf(third)).toBe('pending');
  });

  it('hands a turn to the next in line only after pending I/O callbacks ran', async () => {
    const { limiter } = limiterWith({ concurrentPerCredential: 1 });
    const release: Release = await limiter.acquire('okta');
    const order: string[] = [];
    const next = limiter.acquire('okta').then(() => order.push('next in line'));
    setImmediate(() => order.push('another client'));
    release();
    await next;
    expect(order).toEqual(['another client', 'next in line']);
  });

  it('admits even a request whose turn is free only after pending I/O callbacks ran', async () => {
    const { limiter } = limiterWith();
    const order: string[] = [];
    setImmediate(() => order.push('another client'));
    await limiter.acquire('okta').then(() => order.push('admitted'));
    expect(order).toEqual(['another client', 'admitted']);
  });

  it('where requests block the process, makes a credential rest after a slow turn as long as the turn took, not after a quick one', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'performance'] });
    const { limiter } = limiterWith({ concurrentPerCredential: 1, restAfterSlowTurns: true });
    const slow = await limiter.acquire('costly', { costSetByClient: true });
    const next = limiter.acquire('costly', { costSetByClient: true });
    await vi.advanceTimersByTimeAsync(200);
    slow();
    // Another credential is not held back by it.
    expect(await stateOf(limiter.acquire('okta'))).toBe('fulfilled');
    await vi.advanceTimersByTimeAsync(199);
    expect(await stateOf(next)).toBe('pending');
    // Arriving during the rest, a request waits behind the one already in line.
    const later = limiter.acquire('costly', { costSetByClient: true });
    await vi.advanceTimersByTimeAsync(1);
    const quick = await next;
    expect(await stateOf(later)).toBe('pending');
    await vi.advanceTimersByTimeAsync(5);
    quick();
    expect(await stateOf(later)).toBe('fulfilled');
  });

  it('holds back a turn started in the same event-loop turn as a slow one until the rest is over', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'performance'] });
    const { limiter } = limiterWith({ concurrentPerCredential: 2, restAfterSlowTurns: true });
    const first = limiter.acquire('costly', { costSetByClient: true }).then((release) => {
      vi.advanceTimersByTime(100);
      release();
    });
    const second = limiter.acquire('costly');
    await first;
    expect(await stateOf(second)).toBe('pending');
    await vi.advanceTimersByTimeAsync(100);
    expect(await stateOf(second)).toBe('fulfilled');
  });

  it('never rests where requests do not block the process (MySQL), nor after requests whose cost the client does not set', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'performance'] });
    for (const [overrides, options] of [
      [{}, { costSetByClient: true }],
      [{ restAfterSlowTurns: true }, {}],
    ] as const) {
      const { limiter } = limiterWith({ concurrentPerCredential: 1, ...overrides });
      const slow = await limiter.acquire('busy', options);
      const next = limiter.acquire('busy', options);
      await vi.advanceTimersByTimeAsync(200);
      slow();
      expect(await stateOf(next)).toBe('fulfilled');
    }
  });

  it('with no waiting allowed, refuses what cannot run at once', async () => {
    const { limiter } = limiterWith({ concurrentPerCredential: 1, queueTimeoutMs: 0 });
    await limiter.acquire('okta');
    await expect(limiter.acquire('okta')).rejects.toMatchObject({ reason: 'queue_full' });
  });
});
