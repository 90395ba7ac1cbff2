import client from "prom-client";

export type IngestProtocolLabel = "rtmp" | "srt";

/** What the ingest servers hold for unauthenticated peers, and whom they refused. Labels are protocols and reasons only. */
export function registerIngestMetrics(
  registry: client.Registry,
  read: { connections: () => Record<IngestProtocolLabel, number>; rtmpBufferedBytes: () => number },
) {
  const refused = new client.Counter({
    name: "liverelay_ingest_refused_total",
    help: "Ingest connections refused or closed for passing a resource limit, by protocol and reason",
    labelNames: ["protocol", "reason"] as const,
    registers: [registry],
  });
  new client.Gauge({
    name: "liverelay_ingest_connections",
    help: "Open ingest connections (publishing or not) by protocol",
    labelNames: ["protocol"] as const,
    registers: [registry],
    collect() {
      for (const [protocol, n] of Object.entries(read.connections())) this.set({ protocol }, n);
    },
  });
  new client.Gauge({
    name: "liverelay_rtmp_buffered_bytes",
    help: "Bytes of incomplete RTMP messages held across all connections",
    registers: [registry],
    collect() {
      this.set(read.rtmpBufferedBytes());
    },
  });
  return { refused: (protocol: IngestProtocolLabel, reason: string) => refused.inc({ protocol, reason }) };
}
export type IngestCounters = ReturnType<typeof registerIngestMetrics>;
