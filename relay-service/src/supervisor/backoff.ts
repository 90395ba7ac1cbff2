export const BACKOFF_INITIAL_MS = 1_000;
export const BACKOFF_MAX_MS = 30_000;
/** A relay that ran this long without failing starts over from the initial delay. */
export const BACKOFF_RESET_AFTER_MS = 60_000;

/** Exponential backoff with ±20 % jitter, so many relays to one failed platform do not retry in step. */
export class Backoff {
  private attempt = 0;

  next(random = Math.random): number {
    const base = Math.min(BACKOFF_MAX_MS, BACKOFF_INITIAL_MS * 2 ** this.attempt);
    this.attempt++;
    return Math.round(base * (0.8 + 0.4 * random()));
  }

  /** Called with how long the last run was healthy. */
  ranFor(ms: number): void {
    if (ms >= BACKOFF_RESET_AFTER_MS) this.attempt = 0;
  }

  reset(): void {
    this.attempt = 0;
  }
}
