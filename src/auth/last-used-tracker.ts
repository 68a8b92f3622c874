import { Injectable, Logger } from '@nestjs/common';
import { ApiKeysService } from '../api-keys/api-keys.service';
import { Settings } from '../config/settings';
import { ScimCredentialsService } from '../scim-credentials/scim-credentials.service';

const MAX_TRACKED = 100_000;

/**
 * Keeps lastUsedAt fresh without a database write per request: each process writes a
 * credential's timestamp at most once per LAST_USED_WRITE_INTERVAL_SECONDS.
 */
@Injectable()
export class LastUsedTracker {
  private readonly logger = new Logger(LastUsedTracker.name);
  private readonly lastWritten = new Map<string, number>();

  constructor(
    private readonly apiKeys: ApiKeysService,
    private readonly scimCredentials: ScimCredentialsService,
    private readonly settings: Settings,
  ) {}

  touch(kind: 'api_key' | 'scim_credential', id: string, storedLastUsedAt: Date | null): void {
    const now = Date.now();
    const mapKey = `${kind}:${id}`;
    const last = this.lastWritten.get(mapKey) ?? storedLastUsedAt?.getTime() ?? 0;
    if (now - last < this.settings.lastUsedWriteIntervalMs) {
      return;
    }
    if (this.lastWritten.size >= MAX_TRACKED) {
      this.lastWritten.clear();
    }
    this.lastWritten.set(mapKey, now);
    const written = kind === 'api_key' ? this.apiKeys.markUsed(id, new Date(now)) : this.scimCredentials.markUsed(id, new Date(now));
    written.catch((error: unknown) => {
      this.lastWritten.delete(mapKey);
      this.logger.warn(`could not record last use of ${kind} ${id}: ${String(error)}`);
    });
  }
}
