import { Injectable, Logger, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { AssertionIdsRepository } from './assertion-ids.repository';
import { SamlRequestsRepository } from './saml-requests.repository';

const SWEEP_INTERVAL_MS = 60_000;
const SWEEP_BATCH = 500;

/** Deletes expired outstanding requests and remembered assertion ids, in bounded batches. */
@Injectable()
export class SsoHousekeeping implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger(SsoHousekeeping.name);
  private timer: NodeJS.Timeout | null = null;
  private sweepInFlight: Promise<unknown> | null = null;

  constructor(
    private readonly requests: SamlRequestsRepository,
    private readonly assertionIds: AssertionIdsRepository,
  ) {}

  onApplicationBootstrap(): void {
    this.timer = setInterval(() => this.scheduleSweep(), SWEEP_INTERVAL_MS);
    this.timer.unref();
  }

  async onModuleDestroy(): Promise<void> {
    if (this.timer) {
      clearInterval(this.timer);
      this.timer = null;
    }
    await this.sweepInFlight;
  }

  /** Returns how many rows of each kind it deleted. */
  async sweep(now = new Date(), batch = SWEEP_BATCH): Promise<{ requests: number; assertionIds: number }> {
    return {
      requests: await drain((limit) => this.requests.deleteExpired(now, limit), batch),
      assertionIds: await drain((limit) => this.assertionIds.deleteExpired(now, limit), batch),
    };
  }

  private scheduleSweep(): void {
    if (this.sweepInFlight) {
      return;
    }
    this.sweepInFlight = this.sweep()
      .catch((error: unknown) => this.logger.warn(`single sign-on sweep failed: ${String(error)}`))
      .finally(() => {
        this.sweepInFlight = null;
      });
  }
}

async function drain(deleteBatch: (limit: number) => Promise<number>, batch: number): Promise<number> {
  let total = 0;
  for (;;) {
    const deleted = await deleteBatch(batch);
    total += deleted;
    if (deleted < batch) {
      return total;
    }
  }
}
