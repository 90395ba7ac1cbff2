import { describe, expect, it } from "vitest";
import { ffmpegOutput, protocolMatches } from "../../../relay-service/src/relay/destination";
import { selfIngestTarget, findRelayLoops, loopClosedBy } from "../../../relay-service/src/relay/relay-loops";
import { SelfHosts } from "../../../relay-service/src/relay/self-hosts";

describe("destinations", () => {
  it("matches protocols: RTMP ingest → rtmp/rtmps, SRT ingest → srt", () => {
    expect(protocolMatches("rtmp", "rtmp://h/a/k")).toBe(true);
    expect(protocolMatches("rtmp", "rtmps://h/a/k")).toBe(true);
    expect(protocolMatches("rtmp", "srt://h:1")).toBe(false);
    expect(protocolMatches("srt", "srt://h:1")).toBe(true);
    expect(protocolMatches("srt", "rtmp://h/a/k")).toBe(false);
  });
  it("converts SRT latency from milliseconds to ffmpeg's microseconds, keeping the streamid as written", () => {
    const out = ffmpegOutput("srt://h:9000?streamid=#!::r=live/s,m=publish&latency=200");
    expect(out).toEqual({ format: "mpegts", url: "srt://h:9000?streamid=#!::r=live/s,m=publish&latency=200000&mode=caller" });
    expect(ffmpegOutput("rtmps://h/a/k")).toEqual({ format: "flv", url: "rtmps://h/a/k" });
    // An ffmpeg-style latency (microseconds) is passed through, not multiplied again.
    expect(ffmpegOutput("srt://h:9000?streamid=k&latency=200000&mode=caller").url).toBe("srt://h:9000?streamid=k&latency=200000&mode=caller");
  });
});

describe("relay loops", () => {
  const self = { rtmpPort: 1935, host: "0.0.0.0", defaultDomain: "default" };
  const t = (id: string, domain: string, destinationUrl: string) => ({
    id, domain, appName: "live", streamName: "s", destinationUrl, mode: "always" as const,
    startTime: null, endTime: null, description: null, protocolConversion: false, createdAt: "", updatedAt: "",
  });
  it("recognises this service's own ingest as a destination", () => {
    expect(selfIngestTarget("rtmp://127.0.0.1/live/s?vhost=b.example.com", self)).toEqual({ domain: "b.example.com", appName: "live", streamName: "s" });
    expect(selfIngestTarget("rtmp://localhost:1935/live/s", self)).toEqual({ domain: "default", appName: "live", streamName: "s" });
    expect(selfIngestTarget("rtmp://127.0.0.1:1936/live/s", self)).toBeNull();
    expect(selfIngestTarget("rtmp://a.rtmp.youtube.com/live2/k", self)).toBeNull();
  });
  it("recognises this service's own SRT port, reading the streamid as ffmpeg does", () => {
    const srtSelf = { ...self, srtPort: 10080 };
    const key = { domain: "b.example.com", appName: "live", streamName: "s" };
    expect(selfIngestTarget("srt://127.0.0.1:10080?streamid=#!::h=b.example.com,r=live/s,m=publish&latency=200", srtSelf)).toEqual(key);
    expect(selfIngestTarget(`srt://localhost:10080?latency=200&streamid=${encodeURIComponent("#!::h=b.example.com,r=/live/s,m=publish")}`, srtSelf)).toEqual(key);
    expect(selfIngestTarget("srt://127.0.0.1:10080?streamid=publish:live/s", srtSelf)).toEqual({ ...key, domain: "default" });
    expect(selfIngestTarget("srt://127.0.0.1:10081?streamid=publish:live/s", srtSelf)).toBeNull();
    expect(selfIngestTarget("srt://127.0.0.1:10080?streamid=#!::r=live/s,m=request", srtSelf)).toBeNull();
    expect(selfIngestTarget("srt://127.0.0.1:10080?streamid=publish:live/s", self)).toBeNull(); // no SRT port known
  });
  it("flags an SRT loop a → b → a", () => {
    const srtSelf = { ...self, srtPort: 10080 };
    const sid = (d: string) => `srt://127.0.0.1:10080?streamid=#!::h=${d},r=live/s,m=publish`;
    const loops = findRelayLoops([t("ab", "a.example.com", sid("b.example.com")), t("ba", "b.example.com", sid("a.example.com")), t("bc", "b.example.com", sid("c.example.com"))], srtSelf);
    expect([...loops].sort()).toEqual(["ba"]); // the older template keeps running
  });
  it("flags a → b → a and a → a, not a → b alone or a chain", () => {
    const loops = findRelayLoops(
      [
        t("ab", "a.example.com", "rtmp://127.0.0.1/live/s?vhost=b.example.com"),
        t("ba", "b.example.com", "rtmp://127.0.0.1/live/s?vhost=a.example.com"),
        t("cd", "c.example.com", "rtmp://127.0.0.1/live/s?vhost=d.example.com"),
        t("de", "d.example.com", "rtmp://127.0.0.1/live/s?vhost=e.example.com"),
        t("ff", "f.example.com", "rtmp://127.0.0.1/live/s?vhost=f.example.com"),
      ],
      self,
    );
    expect([...loops].sort()).toEqual(["ba", "ff"]);
  });
  it("only the template that closes a loop is flagged, whatever the order it is listed in", () => {
    const older = { ...t("zz", "a.example.com", "rtmp://127.0.0.1/live/s?vhost=b.example.com"), createdAt: "2026-01-01T00:00:00.000Z" };
    const newer = { ...t("aa", "b.example.com", "rtmp://127.0.0.1/live/s?vhost=a.example.com"), createdAt: "2026-01-02T00:00:00.000Z" };
    expect([...findRelayLoops([newer, older], self)]).toEqual(["aa"]);
  });
  it("every loopback and self spelling is this machine", () => {
    const hosts = new SelfHosts("0.0.0.0", ["relay.example.test"]);
    for (const h of ["127.0.0.1", "127.1", "127.0.0.2", "0x7f.1", "2130706433", "0177.0.0.1", "[::1]", "[0:0:0:0:0:0:0:1]", "[::ffff:127.0.0.1]", "[::ffff:7f00:1]", "0.0.0.0", "0", "[::]", "localhost", "LOCALHOST.", "a.localhost", "relay.example.test", "RELAY.example.test."]) {
      expect({ h, self: hosts.includes(h) }).toEqual({ h, self: true });
    }
    for (const h of ["128.0.0.1", "a.rtmp.youtube.com", "[::2]", "[::ffff:8.8.8.8]", "localhost.example.com", "10.255.255.1"]) {
      expect({ h, self: hosts.includes(h) }).toEqual({ h, self: false });
    }
  });
  it("a new template closing a loop is found with the templates it loops with, only when their windows overlap", () => {
    const day = (h: number) => new Date(Date.UTC(2030, 0, 1, h)).toISOString();
    const ab = { ...t("ab", "a.example.com", "rtmp://127.1/live/s?vhost=b.example.com"), mode: "time" as const, startTime: day(10), endTime: day(11) };
    const now = new Date(Date.UTC(2029, 0, 1));
    const ba = (start: number, end: number) => ({ domain: "b.example.com", appName: "live", streamName: "s", destinationUrl: "rtmp://[::ffff:127.0.0.1]/live/s?vhost=a.example.com", mode: "time" as const, startTime: day(start), endTime: day(end) });
    expect(loopClosedBy(ba(12, 13), [ab], self, now)).toBeNull();
    expect(loopClosedBy(ba(10, 12), [ab], self, now)?.map((x) => x.id)).toEqual(["ab"]);
    expect(loopClosedBy({ ...ba(10, 12), mode: "always", startTime: null, endTime: null }, [ab], self, now)?.map((x) => x.id)).toEqual(["ab"]);
    // a finished window never runs again
    expect(loopClosedBy(ba(10, 12), [ab], self, new Date(Date.UTC(2030, 0, 2)))).toBeNull();
  });
});
