import { z } from "zod";
import { AppName, Cursor, Domain, StreamName } from "./common";

const int = (field: string, min: number, max: number, unit = "") =>
  z
    .number()
    .int(`${field} must be a whole number`)
    .min(min, `${field} must be between ${min} and ${max}${unit}`)
    .max(max, `${field} must be between ${min} and ${max}${unit}`);

// ---- transcoding ---------------------------------------------------------------

/** Chosen by the user; it becomes the suffix of the rendition's stream name (`show` → `show_sd`). */
export const TranscodeTemplateId = z
  .string()
  .regex(/^[A-Za-z0-9-]{1,32}$/, "templateId must be 1-32 letters, digits or '-'")
  .meta({ description: "Template id, also the rendition's stream-name suffix", example: "sd" });

export const TranscodeVideo = z
  .strictObject({
    codec: z.literal("h264"),
    height: int("video.height", 144, 2160, " pixels").multipleOf(2, "video.height must be even"),
    bitrateKbps: int("video.bitrateKbps", 100, 20_000, " kbit/s"),
    fps: int("video.fps", 1, 60).optional().meta({ description: "Output frame rate; omitted: the source's" }),
    gopSeconds: int("video.gopSeconds", 1, 10).default(2).meta({ description: "Keyframe interval, fixed (no scene-cut keyframes)" }),
  })
  .meta({ id: "TranscodeVideo", description: "H.264 (libx264 veryfast, zerolatency), scaled to `height` keeping the aspect ratio" });

export const TranscodeAudio = z
  .strictObject({
    codec: z.literal("aac"),
    bitrateKbps: int("audio.bitrateKbps", 32, 320, " kbit/s"),
  })
  .meta({ id: "TranscodeAudio" });

export const TranscodeTemplateSet = z
  .strictObject({
    appName: AppName,
    video: TranscodeVideo,
    audio: TranscodeAudio.nullable().meta({ description: "AAC re-encoding; null copies the source's audio unchanged" }),
  })
  .meta({ id: "TranscodeTemplateSet" });
export type TranscodeTemplateSet = z.input<typeof TranscodeTemplateSet>;

export const TranscodeTemplate = z
  .object({
    domain: Domain,
    id: z.string(),
    appName: z.string(),
    video: z.object({ codec: z.literal("h264"), height: z.number().int(), bitrateKbps: z.number().int(), fps: z.number().int().nullable(), gopSeconds: z.number().int() }),
    audio: z.object({ codec: z.literal("aac"), bitrateKbps: z.number().int() }).nullable(),
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .meta({ id: "TranscodeTemplate", description: "While a stream of `appName` is live, its rendition `<streamName>_<id>` is live too" });
export type TranscodeTemplate = z.infer<typeof TranscodeTemplate>;

export const TranscodeTemplateList = z.object({ items: z.array(TranscodeTemplate) }).meta({ id: "TranscodeTemplateList" });
export type TranscodeTemplateList = z.infer<typeof TranscodeTemplateList>;

export const TranscodeTemplateParams = z.strictObject({ domain: Domain, templateId: TranscodeTemplateId });

// ---- snapshots -------------------------------------------------------------------

export const SnapshotConfigSet = z
  .strictObject({
    intervalSeconds: int("intervalSeconds", 1, 3600, " seconds"),
    keep: int("keep", 1, 1000).default(1).meta({ description: "JPEGs kept per stream, newest first" }),
  })
  .meta({ id: "SnapshotConfigSet" });
export type SnapshotConfigSet = z.input<typeof SnapshotConfigSet>;

export const SnapshotConfig = z
  .object({ domain: Domain, appName: z.string(), intervalSeconds: z.number().int(), keep: z.number().int(), updatedAt: z.string() })
  .meta({ id: "SnapshotConfig" });
export type SnapshotConfig = z.infer<typeof SnapshotConfig>;

/** A kept JPEG of a stream; `name` is its file under …/snapshots/{name}. */
export const Snapshot = z
  .object({
    name: z.string().meta({ description: "File name: GET …/snapshots/{name} (never changes once listed)" }),
    takenAt: z.string().meta({ description: "When the JPEG was written (RFC 3339)" }),
    bytes: z.number().int(),
  })
  .meta({ id: "Snapshot" });
export type Snapshot = z.infer<typeof Snapshot>;

export const SnapshotList = z.object({ items: z.array(Snapshot) }).meta({ id: "SnapshotList", description: "The stream's kept snapshots (at most the config's `keep`), newest first" });
export type SnapshotList = z.infer<typeof SnapshotList>;

// ---- recording -------------------------------------------------------------------

export const RecordingFormat = z.enum(["mp4", "flv", "hls"]).meta({
  description: "`mp4` (fragmented: playable even after a crash) and `flv`: one file per segment; `hls`: one playlist per publish",
});
export type RecordingFormat = z.infer<typeof RecordingFormat>;

export const RecordingConfigSet = z
  .strictObject({
    format: RecordingFormat,
    segmentSeconds: int("segmentSeconds", 10, 21_600, " seconds"),
  })
  .meta({ id: "RecordingConfigSet" });
export type RecordingConfigSet = z.input<typeof RecordingConfigSet>;

export const RecordingConfig = z
  .object({ domain: Domain, appName: z.string(), format: RecordingFormat, segmentSeconds: z.number().int(), updatedAt: z.string() })
  .meta({ id: "RecordingConfig" });
export type RecordingConfig = z.infer<typeof RecordingConfig>;

export const Recording = z
  .object({
    id: z.string(),
    appName: z.string(),
    streamName: z.string(),
    format: RecordingFormat,
    startedAt: z.string(),
    endedAt: z.string().nullable().meta({ description: "null while it is being written" }),
    durationSeconds: z.number().nullable(),
    bytes: z.number().int(),
  })
  .meta({ id: "Recording" });
export type Recording = z.infer<typeof Recording>;

export const RecordingList = z.object({ items: z.array(Recording), nextCursor: z.string().nullable() }).meta({ id: "RecordingList" });
export type RecordingList = z.infer<typeof RecordingList>;

export const RecordingListQuery = z.strictObject({
  appName: AppName.optional(),
  streamName: StreamName.optional(),
  limit: z.coerce.number().int().min(1).max(200).default(50),
  cursor: Cursor.optional(),
});
export type RecordingListQuery = z.input<typeof RecordingListQuery>;

// ---- path parameters -------------------------------------------------------------

export const AppParams = z.strictObject({ domain: Domain, appName: AppName });
export const StreamParams = z.strictObject({ domain: Domain, appName: AppName, streamName: StreamName });
export const SnapshotFileParams = z.strictObject({
  domain: Domain,
  appName: AppName,
  streamName: StreamName,
  name: z.string().regex(/^\d{1,20}-\d{1,12}\.jpg$/, "name must be a snapshot file name from …/snapshots"),
});
export const RecordingParams = z.strictObject({ domain: Domain, id: z.string().min(1).max(64) });
export const RecordingFileParams = z.strictObject({
  domain: Domain,
  id: z.string().min(1).max(64),
  name: z.string().regex(/^[A-Za-z0-9_-][A-Za-z0-9_.-]{0,127}$/, "name must be a file name of the recording"),
});
