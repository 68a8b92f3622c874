import { Logger } from '@nestjs/common';
import { Job, Worker } from 'bullmq';
import { RedisSettings } from '../../config/settings';
import { bullmqPrefix, workerConnection } from '../queue/bullmq-connection';
import { InvalidPurgeJobError, parsePurgeJobData, PURGE_QUEUE_NAME, PurgeJobData } from '../queue/purge-job';
import { PurgeConsumer } from './purge-consumer';
import { PurgeHandler } from './purge-handler';

/** Consumes the BullMQ purge queue. Loaded only when REDIS_URL is set and this process runs purges. */
export class BullmqPurgeWorker extends PurgeConsumer {
  private readonly logger = new Logger(BullmqPurgeWorker.name);
  private readonly stopping = new AbortController();
  private readonly running = new Set<Promise<unknown>>();
  private worker: Worker<PurgeJobData> | null = null;

  constructor(
    private readonly redis: RedisSettings,
    private readonly handler: PurgeHandler,
    private readonly concurrency: number,
  ) {
    super();
  }

  onApplicationBootstrap(): Promise<void> {
    this.worker = new Worker<PurgeJobData>(PURGE_QUEUE_NAME, (job) => this.process(job), {
      connection: workerConnection(this.redis),
      prefix: bullmqPrefix(this.redis),
      concurrency: this.concurrency,
    });
    // Redis outages are retried by the connection; the purge records keep the work safe meanwhile.
    this.worker.on('error', (error: Error) => this.logger.warn({ reason: error.message }, 'purge worker connection error'));
    return Promise.resolve();
  }

  /**
   * Purges in progress stop at their next batch boundary and hand themselves back; once they
   * have, the worker is closed without waiting on Redis (a graceful BullMQ close never returns
   * while Redis is unreachable).
   */
  async beforeApplicationShutdown(): Promise<void> {
    this.stopping.abort();
    await Promise.allSettled(this.running);
    await this.worker?.close(true);
  }

  private async process(job: Job<PurgeJobData>): Promise<void> {
    let purgeId: string;
    try {
      ({ purgeId } = parsePurgeJobData(job.data));
    } catch (error) {
      if (error instanceof InvalidPurgeJobError) {
        this.logger.error({ jobId: job.id }, 'dropped a purge job with an invalid payload');
        return;
      }
      throw error;
    }
    const run = this.handler.run(purgeId, this.stopping.signal);
    this.running.add(run);
    try {
      await run;
    } finally {
      this.running.delete(run);
    }
  }
}
