import { randomUUID } from 'node:crypto';
import { Injectable, Logger, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { PeriodicSweep } from '../common/periodic-sweep';
import { Settings } from '../config/settings';
import { isWellFormedSessionToken, newSessionToken, sessionTokenHash } from './session-token';
import { LoginFlow, SessionRecord, SessionsRepository } from './sessions.repository';

export type OpenedSession = { readonly token: string; readonly session: SessionRecord };

/** Why sessions end early, kept on the row and in the audit trail. */
export type RevocationReason = 'logout' | 'admin' | 'user_deactivated' | 'sso_disabled';

// last_seen_at is written at most this often per session; the idle timeout is at least 300 s.
const MAX_TOUCH_INTERVAL_MS = 60_000;
// Ended sessions are kept this long after their absolute expiry, then deleted.
const ENDED_RETENTION_MS = 24 * 3600_000;
const SWEEP_INTERVAL_MS = 60_000;
const SWEEP_BATCH = 500;

/**
 * Server-side sign-in sessions: a random token in the cookie, only its hash stored. A session
 * ends at its absolute expiry, after the idle timeout without a request, or when revoked. Every
 * method joins the caller's transaction (Database's implicit one), so a deactivation revokes the
 * user's sessions in its own transaction.
 */
@Injectable()
export class SessionsService implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger(SessionsService.name);
  private readonly sweeps = new PeriodicSweep('session sweep', () => this.sweep(), this.logger);

  constructor(
    private readonly sessions: SessionsRepository,
    private readonly settings: Settings,
  ) {}

  onApplicationBootstrap(): void {
    this.sweeps.start(SWEEP_INTERVAL_MS);
  }

  async onModuleDestroy(): Promise<void> {
    await this.sweeps.stop();
  }

  async open(subject: { organizationId: string; userId: string; loginFlow: LoginFlow }, now = new Date()): Promise<OpenedSession> {
    const token = newSessionToken();
    const session: SessionRecord = {
      id: randomUUID(),
      organizationId: subject.organizationId,
      userId: subject.userId,
      loginFlow: subject.loginFlow,
      createdAt: now,
      lastSeenAt: now,
      expiresAt: new Date(now.getTime() + this.settings.sessions.absoluteTimeoutMs),
      revokedAt: null,
    };
    await this.sessions.insert({ ...session, tokenHash: sessionTokenHash(token) });
    return { token, session };
  }

  /**
   * The open session this token belongs to, or null (unknown, revoked, past its absolute expiry or
   * idle too long). Who the session's user is, and whether they may still sign in, is the caller's
   * to check.
   */
  async findOpen(token: string, now = new Date()): Promise<SessionRecord | null> {
    if (!isWellFormedSessionToken(token)) {
      return null;
    }
    const session = await this.sessions.findByTokenHash(sessionTokenHash(token));
    if (!session || session.revokedAt !== null || now.getTime() >= session.expiresAt.getTime()) {
      return null;
    }
    if (now.getTime() - session.lastSeenAt.getTime() >= this.settings.sessions.idleTimeoutMs) {
      return null;
    }
    return session;
  }

  /** Records activity, at most once per interval, so the idle timeout counts from the last request. */
  async touch(session: SessionRecord, now = new Date()): Promise<void> {
    const interval = Math.min(MAX_TOUCH_INTERVAL_MS, this.settings.sessions.idleTimeoutMs / 5);
    if (now.getTime() - session.lastSeenAt.getTime() >= interval) {
      await this.sessions.touch(session.id, now, new Date(now.getTime() - interval));
    }
  }

  /** True when this call ended the session (it was open). */
  async revoke(sessionId: string, reason: RevocationReason): Promise<boolean> {
    return this.sessions.revoke(sessionId, new Date(), reason);
  }

  /** Ends every open session of the user; joins the caller's transaction. Returns how many. */
  async revokeAllOfUser(userId: string, reason: RevocationReason = 'user_deactivated'): Promise<number> {
    return this.sessions.revokeAllOfUser(userId, new Date(), reason);
  }

  /** Ends every open session of the organization; joins the caller's transaction. Returns how many. */
  async revokeAllOfOrganization(organizationId: string, reason: RevocationReason): Promise<number> {
    return this.sessions.revokeAllOfOrganization(organizationId, new Date(), reason);
  }

  /** Deletes sessions that ended more than a day ago, a bounded batch per statement; returns how many. */
  async sweep(now = new Date(), batch = SWEEP_BATCH): Promise<number> {
    const before = new Date(now.getTime() - ENDED_RETENTION_MS);
    let total = 0;
    for (;;) {
      const deleted = await this.sessions.deleteEnded(before, batch);
      total += deleted;
      if (deleted < batch) {
        return total;
      }
    }
  }
}
