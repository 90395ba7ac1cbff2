import client from "prom-client";
import type { Logger } from "pino";
import type { StreamHub } from "../hub/stream-hub";
import type { Route } from "../api/route";
import { mediaRoutes } from "../api/routes/media";
import type { Store } from "../store/store";
import { mediaPaths } from "./media-paths";
import { MediaSupervisor } from "./media-supervisor";
import { recoverRecordings } from "./recording-files";
import type { EventSink } from "../events/event-bus";

export interface MediaProcessing {
  routes: Route[];
  /** Call after the hub's streams have ended: waits for recorders to finalise their files. */
  stop(): Promise<void>;
}

/** Transcoding, snapshots and recording: the supervisor, its API routes and its metrics, in one piece for service.ts. */
export async function startMediaProcessing(deps: { dataDir: string; store: Store; hub: StreamHub; logger: Logger; registry: client.Registry; events?: EventSink }): Promise<MediaProcessing> {
  const { store, hub } = deps;
  const logger = deps.logger.child({ component: "processing" });
  const paths = mediaPaths(deps.dataDir);
  // Listed before any recorder starts, so only what a previous run left open is recovered.
  const leftOpen = await store.listUnfinishedRecordings();
  void recoverRecordings(store, paths.recordings, leftOpen, logger).catch((err: unknown) => logger.error({ err }, "recovering recordings failed"));
  const supervisor = new MediaSupervisor({
    hub,
    store,
    paths,
    logger,
    events: deps.events,
    loadConfigs: async () => ({ transcode: await store.listAllTranscodeTemplates(), snapshot: await store.listAllSnapshotConfigs(), recording: await store.listAllRecordingConfigs() }),
  });
  await supervisor.start();
  registerMediaMetrics(deps.registry, supervisor);
  const routes = mediaRoutes({ store, paths, onChange: () => supervisor.configsChanged() });
  return { routes, stop: () => supervisor.stop() };
}

function registerMediaMetrics(registry: client.Registry, supervisor: MediaSupervisor) {
  new client.Gauge({
    name: "liverelay_media_workers",
    help: "Media processing workers running, by kind (transcoder, snapshotter, recorder)",
    labelNames: ["kind"] as const,
    registers: [registry],
    collect() {
      for (const [kind, n] of Object.entries(supervisor.countRunning())) this.set({ kind }, n);
    },
  });
}
