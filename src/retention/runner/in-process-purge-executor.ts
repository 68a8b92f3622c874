import { Logger } from '@nestjs/common';
import { InProcessPurgeChannel } from '../queue/in-process-purge-channel';
import { PurgeConsumer } from './purge-consumer';
import { PurgeHandler } from './purge-handler';

/**
 * Runs purges in this process, at most `concurrency` at a time, each purge once however often it
 * is delivered. Nothing here needs to survive a crash: the purge records do, and the reconciler
 * delivers them again.
 */
export class InProcessPurgeExecutor extends PurgeConsumer {
  private readonly logger = new Logger(InProcessPurgeExecutor.name);
  private readonly waiting = new Set<string>();
  private readonly running = new Map<string, Promise<void>>();
  private readonly stopping = new AbortController();

  constructor(
    private readonly channel: InProcessPurgeChannel,
    private readonly handler: PurgeHandler,
    private readonly concurrency: number,
  ) {
    super();
  }

  onApplicationBootstrap(): Promise<void> {
    this.channel.listen((purgeId) => this.accept(purgeId));
    return Promise.resolve();
  }

  async beforeApplicationShutdown(): Promise<void> {
    this.channel.close();
    this.waiting.clear();
    this.stopping.abort();
    await Promise.allSettled(this.running.values());
  }

  private accept(purgeId: string): void {
    if (this.stopping.signal.aborted || this.waiting.has(purgeId) || this.running.has(purgeId)) {
      return;
    }
    this.waiting.add(purgeId);
    // Started on a later turn, so the request that dispatched the purge is answered first.
    setImmediate(() => this.startWaiting());
  }

  private startWaiting(): void {
    for (const purgeId of this.waiting) {
      if (this.running.size >= this.concurrency || this.stopping.signal.aborted) {
        return;
      }
      this.waiting.delete(purgeId);
      const run = this.handler
        .run(purgeId, this.stopping.signal)
        .then(
          () => undefined,
          (error: unknown) => {
            this.logger.error(
              { purgeId, reason: error instanceof Error ? error.message : String(error) },
              'purge run crashed; the reconciler will retry it',
            );
          },
        )
        .finally(() => {
          this.running.delete(purgeId);
          this.startWaiting();
        });
      this.running.set(purgeId, run);
    }
  }
}
