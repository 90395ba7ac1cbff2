import { describe, expect, it } from "vitest";
import { Backoff, BACKOFF_MAX_MS, BACKOFF_RESET_AFTER_MS, FAST_RETRY_MAX_MS, FAST_RETRY_MIN_MS } from "../../../relay-service/src/supervisor/backoff";

const FIVE_MINUTES = 5 * 60_000;

describe("Backoff", () => {
  it("doubles from 1 s to a 30 s cap with ±20 % jitter, and resets after 60 s healthy", () => {
    const b = new Backoff();
    const mid = () => 0.5;
    expect([1, 2, 3, 4, 5, 6, 7].map(() => b.next(mid))).toEqual([1000, 2000, 4000, 8000, 16000, 30000, 30000]);
    expect(b.next(() => 0)).toBe(BACKOFF_MAX_MS * 0.8);
    expect(b.next(() => 1)).toBe(BACKOFF_MAX_MS * 1.2);
    b.ranFor(BACKOFF_RESET_AFTER_MS - 1);
    expect(b.next(mid)).toBe(30000);
    b.ranFor(BACKOFF_RESET_AFTER_MS);
    expect(b.next(mid)).toBe(1000);
  });
});

describe("Backoff with a fast phase (in-process relays)", () => {
  it("retries every 1–2 s for the first 5 minutes of a failure streak, then doubles from 2 s to the 30 s cap", () => {
    let now = 0;
    const b = new Backoff({ fastRetryForMs: FIVE_MINUTES }, () => now);
    const delays: number[] = [];
    while (now < FIVE_MINUTES) {
      const d = b.next();
      delays.push(d);
      now += d;
    }
    expect(delays.length).toBeGreaterThan(140);
    expect(Math.min(...delays)).toBeGreaterThanOrEqual(FAST_RETRY_MIN_MS);
    expect(Math.max(...delays)).toBeLessThanOrEqual(FAST_RETRY_MAX_MS);
    const mid = () => 0.5;
    expect([1, 2, 3, 4, 5, 6].map(() => b.next(mid))).toEqual([2000, 4000, 8000, 16000, 30000, 30000]);
    b.ranFor(BACKOFF_RESET_AFTER_MS);
    expect(b.next(() => 0)).toBe(FAST_RETRY_MIN_MS);
    expect(b.next(() => 1)).toBe(FAST_RETRY_MAX_MS);
  });
});
