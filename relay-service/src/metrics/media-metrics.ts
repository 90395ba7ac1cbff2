import client from "prom-client";
import type { MediaSupervisor } from "../processing/media-supervisor";
import type { MediaWorkerKind } from "../processing/media-worker";

/** Media worker metrics, computed when scraped. Labels are kinds and states only. */
export function registerMediaMetrics(registry: client.Registry, deps: { supervisor: () => MediaSupervisor | undefined }) {
  new client.Gauge({
    name: "liverelay_media_workers",
    help: "Media processing workers of live streams, by kind (transcoder, snapshotter, recorder) and state (starting, running, retrying, error)",
    labelNames: ["kind", "state"] as const,
    registers: [registry],
    collect() {
      for (const { kind, state, count } of deps.supervisor()?.countByKindAndState() ?? []) this.set({ kind, state }, count);
    },
  });
  const restarts = new client.Counter({
    name: "liverelay_media_worker_restarts_total",
    help: "Media worker restarts after a failure or a stall, by kind",
    labelNames: ["kind"] as const,
    registers: [registry],
  });
  new client.Counter({
    name: "liverelay_recorder_bytes_written_total",
    help: "Bytes written to recording files by all recorders",
    registers: [registry],
    collect() {
      const total = deps.supervisor()?.recorderBytesTotal() ?? 0;
      this.reset();
      this.inc(total);
    },
  });
  return { onRestart: (kind: MediaWorkerKind) => restarts.inc({ kind }) };
}
