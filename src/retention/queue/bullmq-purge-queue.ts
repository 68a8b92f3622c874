import { Logger, OnApplicationShutdown } from '@nestjs/common';
import { Queue } from 'bullmq';
import { RedisSettings } from '../../config/settings';
import { bullmqPrefix, producerConnection } from './bullmq-connection';
import { PURGE_JOB_NAME, PURGE_QUEUE_NAME, PurgeJob, PurgeJobData, purgeJobId } from './purge-job';
import { PurgeQueue } from './purge-queue';

/** Longest a dispatch waits for Redis; beyond it the purge stays pending for the reconciler. */
const ENQUEUE_TIMEOUT_MS = 2000;

/** Loaded only when REDIS_URL is set (see purgeQueueProvider), so the in-process setup never loads BullMQ. */
export class BullmqPurgeQueue extends PurgeQueue implements OnApplicationShutdown {
  private readonly logger = new Logger(BullmqPurgeQueue.name);
  private queue: Queue<PurgeJobData> | null = null;

  constructor(private readonly redis: RedisSettings) {
    super();
  }

  async enqueue(job: PurgeJob): Promise<void> {
    await withTimeout(
      this.connected().add(
        PURGE_JOB_NAME,
        { purgeId: job.purgeId },
        // Retries are the purge record's business (backoff, visible state), not BullMQ's.
        { jobId: purgeJobId(job), attempts: 1, removeOnComplete: true, removeOnFail: true, delay: job.delayMs },
      ),
      ENQUEUE_TIMEOUT_MS,
    );
  }

  async onApplicationShutdown(): Promise<void> {
    await this.queue?.close().catch(() => undefined);
  }

  /** Connected on first use, so processes that never dispatch (the CLI) never open the connection. */
  private connected(): Queue<PurgeJobData> {
    if (!this.queue) {
      this.queue = new Queue<PurgeJobData>(PURGE_QUEUE_NAME, {
        connection: producerConnection(this.redis),
        prefix: bullmqPrefix(this.redis),
      });
      // Outages surface as failed dispatches; without a listener the emitter would throw.
      this.queue.on('error', (error: Error) => this.logger.debug({ reason: error.message }, 'purge queue connection error'));
    }
    return this.queue;
  }
}

async function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`Redis did not accept the job within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
