import { describe, expect, it } from "vitest";
import { Backoff, BACKOFF_MAX_MS, BACKOFF_RESET_AFTER_MS } from "../../../relay-service/src/supervisor/backoff";

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
