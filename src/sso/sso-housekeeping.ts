import { Injectable, Logger, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { PeriodicSweep } from '../common/periodic-sweep';
import { AssertionIdsRepository } from './assertion-ids.repository';
import { SamlRequestsRepository } from './saml-requests.repository';

const SWEEP_INTERVAL_MS = 60_000;
const SWEEP_BATCH = 500;

/** Deletes expired outstanding requests and remembered assertion ids, in bounded batches. */
@Injectable()
export class SsoHousekeeping implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger(SsoHousekeeping.name);
  private readonly sweeps = new PeriodicSweep('single sign-on sweep', () => this.sweep(), this.logger);

  constructor(
    private readonly requests: SamlRequestsRepository,
    private readonly assertionIds: AssertionIdsRepository,
  ) {}

  onApplicationBootstrap(): void {
    this.sweeps.start(SWEEP_INTERVAL_MS);
  }

  async onModuleDestroy(): Promise<void> {
    await this.sweeps.stop();
  }

  /** Returns how many rows of each kind it deleted. */
  async sweep(now = new Date(), batch = SWEEP_BATCH): Promise<{ requests: number; assertionIds: number }> {
    return {
      requests: await drain((limit) => this.requests.deleteExpired(now, limit), batch),
      assertionIds: await drain((limit) => this.assertionIds.deleteExpired(now, limit), batch),
    };
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
