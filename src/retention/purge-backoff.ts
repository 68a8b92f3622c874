const MAX_DELAY_MS = 24 * 60 * 60 * 1000;

/**
 * Delay before the next automatic attempt after `attempts` failed ones: base, 2×base, 4×base…,
 * at most a day. Null once the attempts are used up (an administrator can still retry).
 */
export function nextRetryDelayMs(attempts: number, baseMs: number, maxAttempts: number): number | null {
  if (attempts >= maxAttempts) {
    return null;
  }
  return Math.min(baseMs * 2 ** Math.max(0, attempts - 1), MAX_DELAY_MS);
}
