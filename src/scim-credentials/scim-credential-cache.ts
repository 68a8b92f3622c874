import { randomUUID } from 'node:crypto';
import { Injectable, Logger, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import type { Redis } from 'ioredis';
import { Settings } from '../config/settings';
import { RedisConnection } from '../redis/redis-connection';

/** What a SCIM request's authentication needs to know about a credential. */
export type ScimCredentialForAuth = {
  id: string;
  organizationId: string;
  organizationHostname: string;
  apiKeyId: string;
  passwordHash: string;
  lastUsedAt: Date | null;
  /** The credential, its key, or the key's owner is no longer active. */
  revoked: boolean;
};

const MAX_ENTRIES = 10_000;
// How long a revocation waits to hear its own invalidation back (then every subscriber has been sent it).
const ECHO_TIMEOUT_MS = 250;

/**
 * Reuses looked-up SCIM credentials for SCIM_CREDENTIAL_CACHE_MS, so Okta's steady traffic does
 * not read its credential from the database on every request. A revocation must still take
 * effect on the next request, in every process:
 * - every revocation, once committed, calls `invalidate()`, which clears this process's entries
 *   and publishes on a Redis channel that every process subscribes to, and waits to hear it back;
 * - entries are kept only while that subscription is live: without Redis, while it is down or
 *   reconnecting, every request reads the database;
 * - a lookup that started before an invalidation is not stored (generation check), so a read
 *   racing a revocation cannot put the old state back;
 * - only active credentials are kept, and the password is still checked on every request.
 * The expiry bounds what a lost message could leave behind (a process dying between commit and
 * publish).
 */
@Injectable()
export class ScimCredentialCache implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger(ScimCredentialCache.name);
  private readonly entries = new Map<string, { credential: ScimCredentialForAuth; expiresAt: number }>();
  private readonly echoes = new Map<string, () => void>();
  private readonly channel: string | null;
  private subscriber: Redis | null = null;
  private generation = 0;
  private live = false;

  constructor(
    private readonly redis: RedisConnection,
    private readonly settings: Settings,
  ) {
    this.channel =
      settings.redis && settings.scimCredentialCacheMs > 0 ? `${settings.redis.keyPrefix}:scim-credential-invalidations` : null;
  }

  /** True while entries may be kept: invalidations from every process are being received. */
  get enabled(): boolean {
    return this.live;
  }

  /** Credentials held now. */
  get size(): number {
    return this.entries.size;
  }

  onModuleInit(): void {
    const { client } = this.redis;
    if (!client || this.channel === null) {
      return;
    }
    const channel = this.channel;
    const subscriber = client.duplicate({ lazyConnect: true });
    this.subscriber = subscriber;
    subscriber.on('error', () => undefined);
    subscriber.on('message', (received: string, message: string) => {
      if (received === channel) {
        this.clear();
        this.echoes.get(message)?.();
      }
    });
    for (const event of ['close', 'end', 'reconnecting']) {
      subscriber.on(event, () => this.goDark());
    }
    subscriber.on('ready', () => {
      subscriber.subscribe(channel).then(
        () => {
          this.clear();
          this.live = true;
        },
        () => this.goDark(),
      );
    });
    void subscriber.connect().catch(() => undefined);
  }

  async onApplicationShutdown(): Promise<void> {
    this.goDark();
    if (this.subscriber && this.subscriber.status !== 'end') {
      await this.subscriber.quit().catch(() => this.subscriber?.disconnect());
    }
  }

  /** The credential for `username`: from the cache when fresh, else from `load` (the database). */
  async lookup(username: string, load: () => Promise<ScimCredentialForAuth | null>): Promise<ScimCredentialForAuth | null> {
    if (!this.live) {
      return load();
    }
    const hit = this.entries.get(username);
    if (hit && hit.expiresAt > Date.now()) {
      return hit.credential;
    }
    const generation = this.generation;
    const credential = await load();
    if (credential && !credential.revoked && this.live && generation === this.generation) {
      if (this.entries.size >= MAX_ENTRIES) {
        this.entries.clear();
      }
      this.entries.set(username, { credential, expiresAt: Date.now() + this.settings.scimCredentialCacheMs });
    }
    return credential;
  }

  /**
   * Call once a revocation has committed: every process drops what it holds. Resolves when this
   * process has heard its own message back, i.e. when Redis has sent it to every subscribed
   * process, so the answer to the revoking request does not overtake the invalidation.
   */
  async invalidate(): Promise<void> {
    this.clear();
    if (this.channel === null || !this.redis.client) {
      return;
    }
    const nonce = randomUUID();
    const echoed = this.live
      ? new Promise<void>((resolve) => {
          this.echoes.set(nonce, resolve);
          setTimeout(resolve, ECHO_TIMEOUT_MS).unref();
        })
      : Promise.resolve();
    try {
      await this.redis.client.publish(this.channel, nonce);
      await echoed;
    } catch (error) {
      // Other processes' entries then expire within SCIM_CREDENTIAL_CACHE_MS.
      this.logger.warn(`could not publish a credential revocation: ${String(error)}`);
    } finally {
      this.echoes.delete(nonce);
    }
  }

  private goDark(): void {
    this.live = false;
    this.clear();
  }

  private clear(): void {
    this.generation += 1;
    this.entries.clear();
  }
}
