import { PurgeJob } from './purge-job';

/**
 * The producer side of the purge queue. Two drivers: BullMQ on Redis when REDIS_URL is set,
 * in-process otherwise. Either way the durable purge record is the source of truth: a job that
 * is lost is re-dispatched by a worker's reconciler.
 */
export abstract class PurgeQueue {
  /** Hands a purge to whichever worker will run it; a duplicate of a queued job is dropped. */
  abstract enqueue(job: PurgeJob): Promise<void>;
}
