/** A delivery is retried until this long after its event occurred, then given up (status `failed`). */
export const GIVE_UP_AFTER_MS = 24 * 60 * 60 * 1000;
const FIRST_RETRY_MS = 1_000;
const MAX_RETRY_MS = 10 * 60 * 1000;

/** Delay before the next attempt after `attempts` failed ones: 1 s doubling to 10 min, ±20 % jitter. */
export function retryDelayMs(attempts: number, random: () => number = Math.random): number {
  const base = Math.min(MAX_RETRY_MS, FIRST_RETRY_MS * 2 ** Math.max(0, attempts - 1));
  return Math.round(base * (0.8 + 0.4 * random()));
}

export const expired = (occurredAt: string, now: number) => now - Date.parse(occurredAt) >= GIVE_UP_AFTER_MS;
