import { z } from "zod";
import { Domain } from "./common";

/** What a relay (one template's ffmpeg process) is doing right now. */
export const RelayState = z.enum(["inactive", "waiting", "starting", "relaying", "retrying", "error"]).meta({
  description:
    "`inactive`: outside its window or disabled; `waiting`: in its window, source not live; `starting`: connecting to the destination; " +
    "`relaying`: forwarding; `retrying`: restarting after a failure; `error`: gave up until the source or template changes",
});
export type RelayState = z.infer<typeof RelayState>;

export const RelayStatus = z
  .object({
    templateId: z.string(),
    state: RelayState,
    lastError: z.object({ code: z.string(), message: z.string(), at: z.string() }).optional(),
    restarts: z.number().int(),
    since: z.string(),
    bitrateKbps: z.number(),
    fps: z.number(),
    bytesOut: z.number().int(),
  })
  .meta({ id: "RelayStatus" });
export type RelayStatus = z.infer<typeof RelayStatus>;

export const RelayStatusList = z.object({ items: z.array(RelayStatus) }).meta({ id: "RelayStatusList" });
export type RelayStatusList = z.infer<typeof RelayStatusList>;

/** Readers of a live stream now, by the protocol they read it over. */
export const ReaderCounts = z
  .object({ rtmp: z.number().int(), flv: z.number().int(), hls: z.number().int(), srt: z.number().int() })
  .meta({ id: "ReaderCounts", description: "Players reading the stream now: RTMP play, HTTP-FLV, HLS (sessions seen in the last 30 s), SRT m=request" });
export type ReaderCounts = z.infer<typeof ReaderCounts>;

export const LiveStream = z
  .object({
    appName: z.string(),
    streamName: z.string(),
    protocol: z.enum(["rtmp", "srt"]),
    videoCodec: z.string().nullable(),
    audioCodec: z.string().nullable(),
    width: z.number().int().nullable(),
    height: z.number().int().nullable(),
    bitrateKbps: z.number(),
    startedAt: z.string(),
    readers: ReaderCounts.optional().meta({ description: "Absent from services before playback" }),
    nodeId: z.string().optional().meta({ description: "The cluster node that holds the stream (its publisher is connected there, and its relays run there)" }),
  })
  .meta({ id: "LiveStream" });
export type LiveStream = z.infer<typeof LiveStream>;

export const LiveStreamList = z.object({ items: z.array(LiveStream) }).meta({ id: "LiveStreamList" });
export type LiveStreamList = z.infer<typeof LiveStreamList>;

/** Publishers must then present the key (RTMP `?key=…`, SRT passphrase when set). Write-only: never returned. */
export const IngestAuthSet = z
  .strictObject({
    key: z.string().min(16, "key must be at least 16 characters").max(128, "key must be at most 128 characters"),
    srtPassphrase: z.string().min(10, "srtPassphrase must be at least 10 characters").max(79, "srtPassphrase must be at most 79 characters").optional(),
    playKey: z
      .string()
      .min(16, "playKey must be at least 16 characters")
      .max(128, "playKey must be at most 128 characters")
      .optional()
      .meta({ description: "Signs playback URLs (auth_key, type A, like publishing): RTMP play, SRT m=request, HTTP-FLV and HLS accept a URL signed with it" }),
  })
  .meta({ id: "IngestAuthSet" });
export type IngestAuthSet = z.input<typeof IngestAuthSet>;

export const IngestAuth = z
  .object({
    domain: Domain,
    enabled: z.boolean(),
    srtPassphraseSet: z.boolean(),
    playKeySet: z.boolean().default(false).meta({ description: "A play key signs playback URLs (absent from services before playback: false)" }),
    updatedAt: z.string().nullable(),
  })
  .meta({ id: "IngestAuth", description: "Whether publishing to the domain needs a key; the key itself is never returned" });
export type IngestAuth = z.infer<typeof IngestAuth>;

const publisherTakeover = z.boolean().meta({
  description:
    "A new publish of a live stream key, authenticated with a valid auth_key (so only in a domain with ingest auth), " +
    "ends the old publishing session and takes the stream over; its relays restart on the new publication. Off: the new publish is refused",
});

const openPlayback = z.boolean().meta({
  description:
    "Anyone may read the domain's live streams (RTMP play, SRT m=request, HTTP-FLV, HLS) without a signed URL or the API token. Off: reads need one",
});

/** PUT replaces the settings: a field left out is off. */
export const IngestSettingsSet = z
  .strictObject({ publisherTakeover: publisherTakeover.default(false), openPlayback: openPlayback.default(false) })
  .meta({ id: "IngestSettingsSet" });
export type IngestSettingsSet = z.input<typeof IngestSettingsSet>;

export const IngestSettings = z
  .object({
    domain: Domain,
    publisherTakeover,
    openPlayback: openPlayback.default(false),
    updatedAt: z.string().nullable().meta({ description: "null: never set, the defaults apply" }),
  })
  .meta({ id: "IngestSettings", description: "How the domain treats publishers; a domain never configured has the defaults (every setting off)" });
export type IngestSettings = z.infer<typeof IngestSettings>;
