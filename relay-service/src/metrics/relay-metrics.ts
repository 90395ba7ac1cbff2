import client from "prom-client";
import type { RelaySupervisor } from "../relay/relay-supervisor";
import type { StreamHub } from "../hub/stream-hub";

/** Relay and stream metrics, computed when scraped. Labels are states and protocols only. */
export function registerRelayMetrics(registry: client.Registry, deps: { supervisor: () => RelaySupervisor | undefined; hub: StreamHub }) {
  new client.Gauge({
    name: "liverelay_relays",
    help: "Relays by state",
    labelNames: ["state"] as const,
    registers: [registry],
    collect() {
      const counts: Record<string, number> = deps.supervisor()?.countByState() ?? {};
      for (const [state, n] of Object.entries(counts)) this.set({ state }, n);
    },
  });
  new client.Counter({
    name: "liverelay_relay_bytes_out_total",
    help: "Bytes sent to destinations by all relays",
    registers: [registry],
    collect() {
      const total = deps.supervisor()?.bytesOutTotal() ?? 0;
      this.reset();
      this.inc(total);
    },
  });
  const restarts = new client.Counter({ name: "liverelay_relay_restarts_total", help: "Relay worker restarts after failures", registers: [registry] });
  new client.Gauge({
    name: "liverelay_live_streams",
    help: "Live streams by ingest protocol",
    labelNames: ["protocol"] as const,
    registers: [registry],
    collect() {
      const counts = { rtmp: 0, srt: 0 };
      for (const s of deps.hub.list()) counts[s.protocol]++;
      for (const [protocol, n] of Object.entries(counts)) this.set({ protocol }, n);
    },
  });
  return { onRestart: () => restarts.inc() };
}
