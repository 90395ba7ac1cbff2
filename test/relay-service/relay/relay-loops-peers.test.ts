import { describe, expect, it } from "vitest";
import type { RelayTemplate } from "@liverelay/api";
import { findRelayLoops, selfIngestTarget, selfTargetParser, type SelfIngest } from "../../../relay-service/src/relay/relay-loops";

const template = (id: string, streamName: string, destinationUrl: string): RelayTemplate => ({
  id, domain: "a.example.com", appName: "live", streamName, destinationUrl, mode: "always", startTime: null, endTime: null, description: null, protocolConversion: false, createdAt: `2026-01-01T00:00:0${id}Z`, updatedAt: "",
});

describe("loop detection across cluster nodes", () => {
  const self: SelfIngest = { rtmpPort: 1935, srtPort: 10080, host: "0.0.0.0", defaultDomain: "default", publicHosts: ["node1.example.com"] };

  it("a destination on another node's ingest (by its registered name and ports) is a self-ingest target; other ports and hosts are not", () => {
    const clustered: SelfIngest = { ...self, peers: [{ id: "node2", hosts: ["node2.example.com", "198.51.100.7"], rtmpPort: 1936, srtPort: 10081 }] };
    expect(selfIngestTarget("rtmp://node2.example.com:1936/live/x?vhost=b.example.com", clustered)).toEqual({ domain: "b.example.com", appName: "live", streamName: "x" });
    expect(selfIngestTarget("rtmp://198.51.100.7:1936/live/x", clustered)).toEqual({ domain: "default", appName: "live", streamName: "x" });
    expect(selfIngestTarget("srt://NODE2.example.com.:10081?streamid=#!::h=b.example.com,r=live/x,m=publish", clustered)).toEqual({ domain: "b.example.com", appName: "live", streamName: "x" });
    expect(selfIngestTarget("rtmp://node2.example.com:1935/live/x", clustered)).toBeNull(); // node 2 ingests on 1936
    expect(selfIngestTarget("rtmp://node3.example.com:1936/live/x", clustered)).toBeNull();
    expect(selfIngestTarget("rtmp://node2.example.com:1936/live/x", self)).toBeNull(); // without the registry, node 2 is a stranger
  });

  it("a → node 2 → a is a loop, and the parser forgets its cache when the peers change", () => {
    const clustered: SelfIngest = { ...self };
    const parse = selfTargetParser(clustered);
    const there = template("1", "a", "rtmp://node2.example.com:1936/live/b?vhost=a.example.com");
    const back = template("2", "b", "rtmp://node1.example.com/live/a?vhost=a.example.com");
    expect([...findRelayLoops([there, back], clustered, parse)]).toEqual([]);
    clustered.peers = [{ id: "node2", hosts: ["node2.example.com"], rtmpPort: 1936, srtPort: 10081 }];
    expect([...findRelayLoops([there, back], clustered, parse)]).toEqual(["2"]);
  });
});
