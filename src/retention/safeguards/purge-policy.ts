/** An organization's purge policy (issue 16); see docs/retention.md. */
export type PurgePolicy = {
  /** Seconds a deactivated user's purge waits (scheduled) before it runs; 0: at once. */
  readonly graceSeconds: number;
  readonly massDeactivation: {
    readonly enabled: boolean;
    /** Purges beyond this many requested within the window are held. */
    readonly threshold: number;
    readonly windowSeconds: number;
  };
};

export const MAX_GRACE_SECONDS = 2_592_000;
export const MAX_BREAKER_WINDOW_SECONDS = 86_400;
export const MAX_BREAKER_THRESHOLD = 1_000_000;

export const DEFAULT_PURGE_POLICY: PurgePolicy = {
  graceSeconds: 0,
  massDeactivation: { enabled: true, threshold: 25, windowSeconds: 600 },
};
