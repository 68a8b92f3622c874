import { Logger } from '@nestjs/common';
import { InProcessPurgeChannel } from './in-process-purge-channel';
import { PurgeJob } from './purge-job';
import { PurgeQueue } from './purge-queue';

/** Without Redis: purges run in this process, or, in an API-only process, wait for a worker's reconciler. */
export class InProcessPurgeQueue extends PurgeQueue {
  private readonly logger = new Logger(InProcessPurgeQueue.name);

  constructor(private readonly channel: InProcessPurgeChannel) {
    super();
  }

  enqueue(job: PurgeJob): Promise<void> {
    if (job.delayMs !== undefined) {
      // The reconciler makes a scheduled purge pending once its grace period ends, and runs it.
      return Promise.resolve();
    }
    if (!this.channel.deliver(job.purgeId)) {
      this.logger.debug({ purgeId: job.purgeId }, 'no purge executor in this process; a worker will pick the purge up');
    }
    return Promise.resolve();
  }
}
