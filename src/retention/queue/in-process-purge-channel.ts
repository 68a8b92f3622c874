import { Injectable } from '@nestjs/common';

/**
 * The in-process driver's hand-off point: the executor of this process (when it runs purges)
 * listens here. An API-only process has no listener; its purges wait for a worker's reconciler.
 */
@Injectable()
export class InProcessPurgeChannel {
  private listener: ((purgeId: string) => void) | null = null;

  listen(listener: (purgeId: string) => void): void {
    this.listener = listener;
  }

  close(): void {
    this.listener = null;
  }

  /** False when nothing in this process runs purges. */
  deliver(purgeId: string): boolean {
    if (!this.listener) {
      return false;
    }
    this.listener(purgeId);
    return true;
  }
}
