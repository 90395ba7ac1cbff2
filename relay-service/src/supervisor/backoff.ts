export const BACKOFF_INITIAL_MS = 1_000;
export const BACKOFF_MAX_MS = 30_000;
/** A worker that ran this long without failing starts over from the initial delay. */
export const BACKOFF_RESET_AFTER_MS = 60_000;
/** Retries in the fast phase come after 1–2 s (uniform jitter). */
export const FAST_RETRY_MIN_MS = 1_000;
export const FAST_RETRY_MAX_MS = 2_000;

export interface BackoffPolicy {
  /**
   * For this long after the first failure of a streak, retry every 1–2 s; then back off
   * exponentially to the cap. Worth it where a retry costs almost nothing (an in-process
   * connection): a destination back from an outage receives media again within seconds.
   */
  fastRetryForMs: number;
}

/**
 * Retry delays with jitter, so many workers failing against one platform do not retry in step:
 * optionally a fast phase, then exponential (×2 from 1 s, or from 2 s after a fast phase) to 30 s, ±20 %.
 */
export class Backoff {
  private attempt = 0;
  private failingSince?: number;

  constructor(
    private readonly policy: BackoffPolicy = { fastRetryForMs: 0 },
    private readonly clock: () => number = Date.now,
  ) {}

  next(random = Math.random): number {
    const now = this.clock();
    this.failingSince ??= now;
    if (now - this.failingSince < this.policy.fastRetryForMs) {
      return Math.round(FAST_RETRY_MIN_MS + (FAST_RETRY_MAX_MS - FAST_RETRY_MIN_MS) * random());
    }
    if (this.attempt === 0 && this.policy.fastRetryForMs > 0) this.attempt = 1;
    const base = Math.min(BACKOFF_MAX_MS, BACKOFF_INITIAL_MS * 2 ** this.attempt);
    this.attempt++;
    return Math.round(base * (0.8 + 0.4 * random()));
  }

  /** Called with how long the last run was healthy. */
  ranFor(ms: number): void {
    if (ms >= BACKOFF_RESET_AFTER_MS) this.reset();
  }

  reset(): void {
    this.attempt = 0;
    this.failingSince = undefined;
  }
}
