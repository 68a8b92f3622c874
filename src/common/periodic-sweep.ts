import { Logger } from '@nestjs/common';

/**
 * Runs a sweep every `intervalMs` on a timer that does not keep the process alive, never two at
 * once (a slow sweep skips the ticks it overlaps), and logs a failed one as a warning: the next
 * tick tries again. `stop()` waits for a sweep in flight, so shutdown never cuts one in half.
 */
export class PeriodicSweep {
  private timer: NodeJS.Timeout | null = null;
  private inFlight: Promise<unknown> | null = null;

  constructor(
    private readonly what: string,
    private readonly sweep: () => Promise<unknown>,
    private readonly logger: Logger,
  ) {}

  /** With `atStart`, the first sweep runs now rather than after one interval. */
  start(intervalMs: number, options: { atStart?: boolean } = {}): void {
    if (this.timer) {
      return;
    }
    this.timer = setInterval(() => this.runOnce(), intervalMs);
    this.timer.unref();
    if (options.atStart) {
      this.runOnce();
    }
  }

  async stop(): Promise<void> {
    if (this.timer) {
      clearInterval(this.timer);
      this.timer = null;
    }
    await this.inFlight;
  }

  private runOnce(): void {
    if (this.inFlight) {
      return;
    }
    this.inFlight = this.sweep()
      .catch((error: unknown) => this.logger.warn(`${this.what} failed: ${String(error)}`))
      .finally(() => {
        this.inFlight = null;
      });
  }
}
