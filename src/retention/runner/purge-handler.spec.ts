import { describe, expect, it } from 'vitest';
import { Settings } from '../../config/settings';
import { PurgeRecord, PurgeRepository, Receipt } from '../purge.repository';
import { PurgedItemRepository } from '../purged-item.repository';
import { BatchResult, PurgeBatches } from './purge-batches';
import { CHECKPOINT_EVERY_ITEMS } from './purge-checkpoint-cadence';
import { LeaseLostError } from './purge-errors';
import { PurgeHandler } from './purge-handler';
import { PurgeMetrics } from './purge-metrics';

const PURGE = { id: 'p1', userId: 'u1', attempts: 1, startedAt: new Date(Date.now() - 2000) } as PurgeRecord;
const SETTINGS = { purge: { leaseMs: 60_000, batchSize: 2, batchPauseMs: 0, retryBaseMs: 1000, maxAttempts: 3 } } as Settings;

type Calls = {
  failed: { error: string; nextAttemptAt: Date | null }[];
  completed: Receipt[];
  released: number;
  observed: number[];
  receiptOf: string[][];
  /** At each WAL checkpoint, how many completions had been recorded. */
  checkpoints: number[];
};

function handlerWith(options: {
  claimed?: PurgeRecord | null;
  files?: BatchResult[];
  filesError?: Error;
  messages?: number[];
  completes?: boolean;
  merged?: string[];
}) {
  const calls: Calls = { failed: [], completed: [], released: 0, observed: [], receiptOf: [], checkpoints: [] };
  const files = [...(options.files ?? [])];
  const messages = [...(options.messages ?? [])];
  const purges = {
    promoteScheduled: () => Promise.resolve(false),
    claim: () => Promise.resolve(options.claimed === undefined ? PURGE : options.claimed),
    complete: (_id: string, _owner: string, receipt: Receipt) => {
      calls.completed.push(receipt);
      return Promise.resolve(options.completes ?? true);
    },
    fail: (_id: string, _owner: string, error: string, nextAttemptAt: Date | null) => {
      calls.failed.push({ error, nextAttemptAt });
      return Promise.resolve(true);
    },
    release: () => {
      calls.released += 1;
      return Promise.resolve(true);
    },
    mergedInto: () => Promise.resolve(options.merged ?? []),
  } as unknown as PurgeRepository;
  const batches = {
    destroyDeferredKeys: (purge: PurgeRecord) => Promise.resolve(purge),
    removeUserFolder: () => Promise.resolve(),
    checkpoint: () => {
      calls.checkpoints.push(calls.completed.length);
      return Promise.resolve();
    },
    deleteFiles: (_purge: PurgeRecord, afterId: number) =>
      options.filesError
        ? Promise.reject(options.filesError)
        : Promise.resolve(files.shift() ?? { seen: 0, lastId: afterId, undeleted: [] }),
    deleteMessages: (_purge: PurgeRecord, afterId: number) => {
      const deleted = messages.shift() ?? 0;
      return Promise.resolve({ deleted, lastId: afterId + deleted });
    },
  } as unknown as PurgeBatches;
  const ledger = {
    receipt: (purgeIds: string[]) => {
      calls.receiptOf.push(purgeIds);
      return Promise.resolve({ files: 3, messages: 1, bytes: 30, digest: 'd' });
    },
  } as unknown as PurgedItemRepository;
  const metrics = { observeCompleted: (seconds: number) => calls.observed.push(seconds) } as unknown as PurgeMetrics;
  return { handler: new PurgeHandler(purges, ledger, batches, metrics, SETTINGS), calls };
}

describe('PurgeHandler', () => {
  it('does nothing with a purge it cannot claim (completed, not due, or held by another worker)', async () => {
    const { handler, calls } = handlerWith({ claimed: null });
    expect(await handler.run('p1')).toBe('skipped');
    expect(calls).toEqual({ failed: [], completed: [], released: 0, observed: [], receiptOf: [], checkpoints: [] });
  });

  it('works through every batch, then completes with the receipt recomputed from the ledger', async () => {
    const { handler, calls } = handlerWith({
      files: [
        { seen: 2, lastId: 2, undeleted: [] },
        { seen: 1, lastId: 3, undeleted: [] },
      ],
      messages: [1],
    });
    expect(await handler.run('p1')).toBe('completed');
    expect(calls.completed).toEqual([{ files: 3, messages: 1, bytes: 30, digest: 'd' }]);
    // Few items: one checkpoint for all three batches before the purge completes, one after.
    expect(calls.checkpoints).toEqual([0, 1]);
    expect(calls.observed).toHaveLength(1);
    expect(calls.observed[0]).toBeGreaterThanOrEqual(2);
  });

  it('checkpoints during a long purge once enough items have gone, not after every batch', async () => {
    const { handler, calls } = handlerWith({
      files: [
        { seen: CHECKPOINT_EVERY_ITEMS - 1, lastId: 1, undeleted: [] },
        { seen: 1, lastId: 2, undeleted: [] },
        { seen: 1, lastId: 3, undeleted: [] },
      ],
      messages: [CHECKPOINT_EVERY_ITEMS, 1],
    });
    expect(await handler.run('p1')).toBe('completed');
    // After the second batch of files and the first of messages; before completing; after it.
    expect(calls.checkpoints).toEqual([0, 0, 0, 1]);
  });

  it('counts in its receipt what the purges it took over had deleted', async () => {
    const { handler, calls } = handlerWith({ merged: ['p0', 'p00'] });
    expect(await handler.run('p1')).toBe('completed');
    expect(calls.receiptOf).toEqual([['p1', 'p0', 'p00']]);
  });

  it('deletes everything it can, then fails naming the files left, with the next attempt backed off', async () => {
    const { handler, calls } = handlerWith({
      files: [
        { seen: 2, lastId: 2, undeleted: [{ id: 2, reason: 'EISDIR: illegal operation on a directory' }] },
        { seen: 1, lastId: 3, undeleted: [] },
      ],
      messages: [1],
    });
    const before = Date.now();
    expect(await handler.run('p1')).toBe('failed');
    expect(calls.completed).toEqual([]);
    expect(calls.failed).toHaveLength(1);
    expect(calls.failed[0].error).toBe(
      '1 file(s) could not be deleted from storage (first: file 2: EISDIR: illegal operation on a directory)',
    );
    // What it did delete is checkpointed before it lets the purge go.
    expect(calls.checkpoints).toEqual([0]);
    // First failed attempt: the base delay.
    expect(calls.failed[0].nextAttemptAt!.getTime() - before).toBeGreaterThanOrEqual(1000);
    expect(calls.failed[0].nextAttemptAt!.getTime() - before).toBeLessThan(1000 + 5000);
  });

  it('schedules no automatic retry once the attempts are used up, and keeps the error short', async () => {
    const { handler, calls } = handlerWith({ claimed: { ...PURGE, attempts: 3 }, filesError: new Error('x'.repeat(5000)) });
    expect(await handler.run('p1')).toBe('failed');
    expect(calls.failed[0].nextAttemptAt).toBeNull();
    expect(calls.failed[0].error).toHaveLength(1000);
  });

  it('hands the purge back between batches when the process stops', async () => {
    const { handler, calls } = handlerWith({ files: [{ seen: 2, lastId: 2, undeleted: [] }] });
    const stopping = new AbortController();
    stopping.abort();
    expect(await handler.run('p1', stopping.signal)).toBe('released');
    expect(calls.released).toBe(1);
    // Nothing was deleted: nothing to checkpoint.
    expect(calls.checkpoints).toEqual([]);
    expect(calls.failed).toEqual([]);
  });

  it('stops without recording anything when another worker took the purge over', async () => {
    const { handler, calls } = handlerWith({ filesError: new LeaseLostError('p1') });
    expect(await handler.run('p1')).toBe('lease-lost');
    expect(calls.failed).toEqual([]);
    const late = handlerWith({ completes: false });
    expect(await late.handler.run('p1')).toBe('lease-lost');
    expect(late.calls.observed).toEqual([]);
  });
});
