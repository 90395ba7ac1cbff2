import client from "prom-client";
import type { ReaderRegistry } from "../playback/reader-registry";

/** Players by protocol, and the ones refused or dropped. Labels are protocols and reasons only. */
export function registerPlaybackMetrics(registry: client.Registry, readers: () => ReaderRegistry) {
  new client.Gauge({
    name: "liverelay_playback_readers",
    help: "Players reading now, by protocol (rtmp, flv, hls, srt)",
    labelNames: ["protocol"] as const,
    registers: [registry],
    collect() {
      for (const [protocol, n] of Object.entries(readers().totalsByProtocol())) this.set({ protocol }, n);
    },
  });
  const refused = new client.Counter({
    name: "liverelay_playback_refused_total",
    help: "Players refused for passing a reader limit, by protocol and reason (max-readers, max-readers-per-stream)",
    labelNames: ["protocol", "reason"] as const,
    registers: [registry],
  });
  const dropped = new client.Counter({
    name: "liverelay_playback_dropped_total",
    help: "Players dropped because they read slower than the stream (their queue passed its bound), by protocol",
    labelNames: ["protocol"] as const,
    registers: [registry],
  });
  return {
    refused: (protocol: string, reason: string) => refused.inc({ protocol, reason }),
    dropped: (protocol: string) => dropped.inc({ protocol }),
  };
}
export type PlaybackCounters = ReturnType<typeof registerPlaybackMetrics>;
