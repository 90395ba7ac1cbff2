import { describe, expect, it } from "vitest";
import { FairLimiter } from "../../../relay-service/src/webhooks/fair-limiter";
import { isPublicAddress } from "../../../relay-service/src/webhooks/address-policy";
import { retryDelayMs } from "../../../relay-service/src/webhooks/retry-policy";

describe("FairLimiter", () => {
  it("caps holders in all and per key, and serves waiting keys round-robin", async () => {
    const limiter = new FairLimiter(3, 2);
    const order: string[] = [];
    const releases = new Map<string, () => void>();
    const take = (key: string, n: number) =>
      void limiter.acquire(key).then((release) => {
        order.push(`${key}${n}`);
        releases.set(`${key}${n}`, release);
      });
    const settle = () => new Promise((r) => setImmediate(r));
    for (let n = 1; n <= 4; n++) take("slow", n);
    take("b", 1);
    take("c", 1);
    await settle();
    expect(order).toEqual(["slow1", "slow2", "b1"]); // slow stops at 2 (per key), the total at 3
    releases.get("b1")!();
    await settle();
    expect(order.at(-1)).toBe("c1"); // slow is full: the free slot goes to c
    take("d", 1);
    releases.get("slow1")!();
    releases.get("slow1")!(); // a second release is a no-op
    await settle();
    expect(order.at(-1)).toBe("slow3");
    expect(limiter.inUse).toBe(3);
    releases.get("c1")!();
    await settle();
    expect(order.at(-1)).toBe("d1"); // slow has waited longer, but holds its 2 already
    expect(limiter.inUse).toBe(3);
  });
});

describe("address policy", () => {
  it("knows loopback, private, link-local, mapped and reserved addresses from public ones", () => {
    for (const ip of ["127.0.0.1", "10.0.0.1", "172.16.5.4", "192.168.1.1", "169.254.169.254", "100.64.0.1", "0.0.0.0", "224.0.0.1", "255.255.255.255", "::1", "::", "fe80::1", "fd00::1", "::ffff:127.0.0.1", "::ffff:10.0.0.1", "64:ff9b::7f00:1"]) {
      expect(isPublicAddress(ip), ip).toBe(false);
    }
    for (const ip of ["93.184.216.34", "8.8.8.8", "2606:4700:4700::1111", "::ffff:8.8.8.8"]) expect(isPublicAddress(ip), ip).toBe(true);
    expect(isPublicAddress("not-an-ip")).toBe(false);
  });
});

describe("retry policy", () => {
  it("waits 1 s, doubling to 10 min, with ±20 % jitter", () => {
    expect([1, 2, 3, 4].map((a) => retryDelayMs(a, () => 0.5))).toEqual([1000, 2000, 4000, 8000]);
    expect(retryDelayMs(30, () => 0.5)).toBe(600_000);
    expect(retryDelayMs(1, () => 0)).toBe(800);
    expect(retryDelayMs(1, () => 1)).toBe(1200);
  });
});
