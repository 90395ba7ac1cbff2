import { describe, expect, it } from "vitest";
import { destinationUrlProblem, parseSrtDestination } from "../../api/src";

const ok = (url: string) => {
  const r = parseSrtDestination(url);
  if (!r.ok) throw new Error(r.problem);
  return r.value;
};
const problem = (url: string) => {
  const r = parseSrtDestination(url);
  expect(r.ok).toBe(false);
  return r.ok ? "" : r.problem;
};

describe("parseSrtDestination", () => {
  it("reads host, port and every honoured option", () => {
    expect(ok("srt://ingest.example.com:9000?streamid=key1&passphrase=abcdefghijk&pbkeylen=32&latency=250&mode=caller")).toEqual({
      host: "ingest.example.com", port: 9000, streamId: "key1", passphrase: "abcdefghijk", pbkeylen: 32, latencyMs: 250,
    });
    expect(ok("srt://127.0.0.1:9000")).toEqual({ host: "127.0.0.1", port: 9000 });
    expect(ok("srt://[::1]:9000?latency=0")).toEqual({ host: "::1", port: 9000, latencyMs: 0 });
  });

  it("takes an unencoded #!:: stream id up to the next & (what a URL parser would call a fragment), and percent-decodes values", () => {
    expect(ok("srt://h:1?streamid=#!::r=live/s,m=publish&passphrase=abcdefghijk")).toMatchObject({ streamId: "#!::r=live/s,m=publish", passphrase: "abcdefghijk" });
    expect(ok(`srt://h:1?streamid=${encodeURIComponent("#!::r=live/s?auth_key=1-2-3,m=publish")}`).streamId).toBe("#!::r=live/s?auth_key=1-2-3,m=publish");
    expect(ok("srt://h:1?passphrase=with%26ampersand")).toMatchObject({ passphrase: "with&ampersand" });
    expect(problem("srt://h:1?streamid=%E0%A4%A")).toMatch(/malformed %-escape/);
  });

  it("latency: milliseconds as srt-live-transmit writes it; ffmpeg-style microseconds from 100000; in between is ambiguous", () => {
    expect(ok("srt://h:1?latency=120").latencyMs).toBe(120);
    expect(ok("srt://h:1?latency=10000").latencyMs).toBe(10_000);
    expect(ok("srt://h:1?latency=200000").latencyMs).toBe(200);
    expect(ok("srt://h:1?latency=2500000").latencyMs).toBe(2_500);
    expect(problem("srt://h:1?latency=20000")).toMatch(/ambiguous/);
    expect(problem("srt://h:1?latency=99999")).toMatch(/ambiguous/);
    expect(problem("srt://h:1?latency=20000000")).toMatch(/at most 10000 ms/);
    expect(problem("srt://h:1?latency=-5")).toMatch(/whole number/);
    expect(problem("srt://h:1?latency=1.5")).toMatch(/whole number/);
  });

  it("mode: caller (or srt-live-transmit's client) only; other modes get a clear refusal", () => {
    expect(ok("srt://h:1?mode=caller")).toEqual({ host: "h", port: 1 });
    expect(ok("srt://h:1?mode=client")).toEqual({ host: "h", port: 1 });
    expect(problem("srt://h:1?mode=listener")).toMatch(/mode must be caller.*listener and rendezvous destinations are not supported/);
    expect(problem("srt://h:1?mode=rendezvous")).toMatch(/mode must be caller/);
  });

  it("pbkeylen 16/24/32 (0 = default); passphrase 10–79 characters", () => {
    for (const n of [16, 24, 32]) expect(ok(`srt://h:1?pbkeylen=${n}`).pbkeylen).toBe(n);
    expect(ok("srt://h:1?pbkeylen=0").pbkeylen).toBeUndefined();
    expect(problem("srt://h:1?pbkeylen=64")).toMatch(/pbkeylen must be 16, 24 or 32/);
    expect(problem("srt://h:1?passphrase=123456789")).toMatch(/10 to 79/);
    expect(problem(`srt://h:1?passphrase=${"p".repeat(80)}`)).toMatch(/10 to 79/);
    expect(problem(`srt://h:1?streamid=${"s".repeat(513)}`)).toMatch(/512/);
  });

  it("restatements of what the caller does are accepted; anything else is refused, naming the key but never a value", () => {
    expect(ok("srt://h:1?transtype=live&pkt_size=1316&payload_size=1316")).toEqual({ host: "h", port: 1 });
    expect(problem("srt://h:1?transtype=file")).toMatch(/transtype must be live/);
    expect(problem("srt://h:1?pkt_size=1456")).toMatch(/1316/);
    expect(problem("srt://h:1?oheadbw=25")).toMatch(/"oheadbw" is not supported \(supported: streamid, passphrase, pbkeylen, latency, mode=caller\)/);
    expect(problem("srt://h:1?streamid=a&streamid=b")).toMatch(/given twice/);
    const bare = problem("srt://h:1?sekr1t-stream-key");
    expect(bare).toMatch(/key=value/);
    expect(bare).not.toContain("sekr1t");
    expect(problem("srt://h:1?passphrase=tiny-secr")).not.toContain("tiny-secr");
  });

  it("needs a host and a port; the API's URL check uses it for srt://", () => {
    expect(problem("srt://h?streamid=x")).toMatch(/port/);
    expect(destinationUrlProblem("srt://h:1?mode=listener")).toMatch(/mode must be caller/);
    expect(destinationUrlProblem("srt://h:1?streamid=x&latency=200")).toBeNull();
  });
});
