import fs from "node:fs";
import path from "node:path";
import type { Logger } from "pino";
import type { StreamHub } from "../hub/stream-hub";
import type { Store } from "../store/store";
import { mediaPaths, type MediaPaths } from "./media-paths";
import { MediaSupervisor, type MediaCounters } from "./media-supervisor";
import { recoverRecordings } from "./recording-files";
import type { EventSink } from "../events/event-bus";

export interface MediaProcessing {
  supervisor: MediaSupervisor;
  paths: MediaPaths;
  /** Call after the hub's streams have ended: waits for recorders to finalise their files. */
  stop(): Promise<void>;
}

/** Transcoding, snapshots and recording: recovers what a crash left open, then starts the supervisor. */
export async function startMediaProcessing(deps: {
  dataDir: string;
  store: Store;
  /** This node: it recovers only the recordings it left open (another node may be writing its own). */
  nodeId: string;
  hub: StreamHub;
  logger: Logger;
  counters?: MediaCounters;
  events?: EventSink;
}): Promise<MediaProcessing> {
  const { store, hub } = deps;
  const logger = deps.logger.child({ component: "processing" });
  const paths = mediaPaths(deps.dataDir);
  // Listed before any recorder starts, so only what a previous run left open is recovered.
  // A row from before recordings named their node ('') is this node's only where its files are.
  const leftOpen = (await store.listUnfinishedRecordings(deps.nodeId)).filter((r) => r.nodeId === deps.nodeId || fs.existsSync(path.join(paths.recordings, r.path)));
  void recoverRecordings(store, paths.recordings, leftOpen, logger).catch((err: unknown) => logger.error({ err }, "recovering recordings failed"));
  const supervisor = new MediaSupervisor({
    hub,
    store,
    nodeId: deps.nodeId,
    paths,
    logger,
    events: deps.events,
    counters: deps.counters,
    loadConfigs: async () => ({ transcode: await store.listAllTranscodeTemplates(), snapshot: await store.listAllSnapshotConfigs(), recording: await store.listAllRecordingConfigs() }),
  });
  await supervisor.start();
  return { supervisor, paths, stop: () => supervisor.stop() };
}
