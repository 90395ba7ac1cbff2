/** Retry policy: which failures are retried, and how long to wait before the next attempt. */

export interface BackoffOptions {
  /** First backoff ceiling; doubles per attempt. */
  baseDelayMs: number;
  /** Largest backoff ceiling. */
  maxDelayMs: number;
  /** Largest Retry-After honoured; longer ones are cut to this. */
  maxRetryAfterMs: number;
  random: () => number;
}

/** GET, PUT, DELETE and PATCH are retried; POST only when it carries an Idempotency-Key. */
export function methodIsRetryable(method: string, idempotencyKey: string | undefined): boolean {
  return method !== "POST" || idempotencyKey !== undefined;
}

export const statusIsRetryable = (status: number): boolean => status === 429 || status >= 500;

/** Milliseconds from a Retry-After header: delta-seconds or an HTTP date. Undefined when absent or unreadable. */
export function parseRetryAfter(value: string | undefined, now: number = Date.now()): number | undefined {
  if (value === undefined) return undefined;
  const text = value.trim();
  if (/^\d+(\.\d+)?$/.test(text)) return Math.round(Number(text) * 1000);
  const at = Date.parse(text);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

/**
 * The wait before retry number `attempt` (0 for the first retry): the server's Retry-After when
 * given (capped), else exponential backoff with full jitter: random in [0, min(max, base·2^attempt)).
 */
export function retryDelayMs(attempt: number, retryAfterMs: number | undefined, o: BackoffOptions): number {
  if (retryAfterMs !== undefined) return Math.min(retryAfterMs, o.maxRetryAfterMs);
  const ceiling = Math.min(o.maxDelayMs, o.baseDelayMs * 2 ** attempt);
  return Math.floor(o.random() * ceiling);
}
