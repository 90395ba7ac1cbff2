import { z } from "zod";

/** What the media workers of a stream are doing right now: `GET …/processing`. */
export const ProcessingKind = z.enum(["transcoder", "snapshotter", "recorder"]);
export type ProcessingKind = z.infer<typeof ProcessingKind>;

export const ProcessingState = z.enum(["starting", "running", "retrying", "error"]).meta({
  description:
    "`starting`: ffmpeg started, no output yet; `running`: producing output; `retrying`: restarting after a failure or a stall (see `lastError`); " +
    "`error`: cannot run until its stream or config changes (see `lastError`)",
});
export type ProcessingState = z.infer<typeof ProcessingState>;

export const WorkerError = z
  .object({
    code: z.string().meta({ description: "`Stalled`, `WorkerFailed`, `FellBehind`, `RenditionNameTaken`, `NoVideo`" }),
    message: z.string(),
    at: z.string(),
  })
  .meta({ id: "WorkerError" });

export const TranscoderStats = z.object({ fps: z.number(), bitrateKbps: z.number() }).meta({ id: "TranscoderStats", description: "The rendition's output frame rate and bitrate" });
export type TranscoderStats = z.infer<typeof TranscoderStats>;
export const SnapshotterStats = z.object({ lastSnapshotAt: z.string().nullable() }).meta({ id: "SnapshotterStats" });
export type SnapshotterStats = z.infer<typeof SnapshotterStats>;
export const RecorderStats = z
  .object({
    fileId: z.string().nullable().meta({ description: "The recording (index entry) being written" }),
    bytesWritten: z.number().int().meta({ description: "Bytes written to disk since this recorder last (re)started" }),
    lastWriteAt: z.string().nullable().meta({ description: "When a recording file last grew" }),
  })
  .meta({ id: "RecorderStats" });
export type RecorderStats = z.infer<typeof RecorderStats>;

const worker = {
  appName: z.string(),
  streamName: z.string(),
  id: z.string().meta({ description: "`{kind}:{appName}/{streamName}`, plus `:{templateId}` for a transcoder" }),
  state: ProcessingState,
  lastError: WorkerError.optional(),
  restarts: z.number().int(),
  since: z.string().meta({ description: "When `state` was entered" }),
};

export const ProcessingWorker = z
  .discriminatedUnion("kind", [
    z.object({ ...worker, kind: z.literal("transcoder"), templateId: z.string(), stats: TranscoderStats }),
    z.object({ ...worker, kind: z.literal("snapshotter"), stats: SnapshotterStats }),
    z.object({ ...worker, kind: z.literal("recorder"), stats: RecorderStats }),
  ])
  .meta({ id: "ProcessingWorker", description: "One media worker on one live stream" });
export type ProcessingWorker = z.infer<typeof ProcessingWorker>;

export const ProcessingList = z.object({ items: z.array(ProcessingWorker) }).meta({ id: "ProcessingList" });
export type ProcessingList = z.infer<typeof ProcessingList>;
