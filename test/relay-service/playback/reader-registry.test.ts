import { describe, expect, it } from "vitest";
import { ReaderRegistry } from "../../../relay-service/src/playback/reader-registry";

const A = { domain: "d.example.com", appName: "live", streamName: "a" };
const B = { domain: "d.example.com", appName: "live", streamName: "b" };

describe("ReaderRegistry", () => {
  it("counts per stream and protocol, refuses past the per-stream and global limits, and releases once", () => {
    const refusals: string[] = [];
    const registry = new ReaderRegistry({ maxReaders: 3, maxReadersPerStream: 2 }, (protocol, reason) => refusals.push(`${protocol}:${reason}`));
    const first = registry.admit(A, "flv");
    const second = registry.admit(A, "hls");
    expect(typeof first).toBe("object");
    expect(registry.counts(A)).toEqual({ rtmp: 0, flv: 1, hls: 1, srt: 0 });
    expect(registry.wouldRefuse(A)).toBe("max-readers-per-stream");
    expect(registry.admit(A, "rtmp")).toBe("max-readers-per-stream");
    expect(registry.wouldRefuse(B)).toBeNull();
    expect(typeof registry.admit(B, "srt")).toBe("object");
    expect(registry.admit(B, "srt")).toBe("max-readers");
    expect(refusals).toEqual(["rtmp:max-readers-per-stream", "srt:max-readers"]);
    expect(registry.totalsByProtocol()).toEqual({ rtmp: 0, flv: 1, hls: 1, srt: 1 });
    if (typeof first === "string" || typeof second === "string") throw new Error("admitted above");
    first.release();
    first.release(); // idempotent: a player released twice frees one place
    expect(registry.counts(A)).toEqual({ rtmp: 0, flv: 0, hls: 1, srt: 0 });
    expect(registry.totalsByProtocol().flv).toBe(0);
    expect(typeof registry.admit(A, "rtmp")).toBe("object");
  });
});
