/** The purge queue's one job type: names shared by the producer and the consumer. */
export const PURGE_QUEUE_NAME = 'purges';
export const PURGE_JOB_NAME = 'purge';

/**
 * What a dispatch hands over: the purge and how many attempts it had already made; `delayMs` for a
 * scheduled purge, handed over for when its grace period ends (the reconciler does it too).
 */
export type PurgeJob = { purgeId: string; attempt: number; delayMs?: number };

/** The payload as stored in the queue. */
export type PurgeJobData = { purgeId: string };

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * Deterministic per purge and attempt: dispatching the same purge twice (the deactivation, then
 * the reconciler) queues it once, while a retry after a failure is a new job.
 */
export function purgeJobId(job: PurgeJob): string {
  // A delayed job of its own, so it never hides the immediate dispatch of the same attempt.
  return `purge-${job.purgeId}-${job.attempt}${job.delayMs === undefined ? '' : '-scheduled'}`;
}

export class InvalidPurgeJobError extends Error {
  constructor() {
    super('invalid purge job payload');
    this.name = 'InvalidPurgeJobError';
  }
}

/** Payloads come back from Redis as untyped JSON: check them before use. */
export function parsePurgeJobData(data: unknown): PurgeJobData {
  const purgeId = (data as { purgeId?: unknown } | null)?.purgeId;
  if (typeof purgeId !== 'string' || !UUID.test(purgeId)) {
    throw new InvalidPurgeJobError();
  }
  return { purgeId };
}
