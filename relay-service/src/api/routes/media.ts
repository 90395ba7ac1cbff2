import fs from "node:fs";
import path from "node:path";
import type { z } from "zod";
import {
  AppParams,
  DomainParams,
  ErrorBody,
  ProcessingList,
  Recording,
  RecordingConfig,
  RecordingConfigSet,
  RecordingFileParams,
  RecordingList,
  RecordingListQuery,
  RecordingParams,
  SnapshotConfig,
  SnapshotConfigSet,
  SnapshotFileParams,
  SnapshotList,
  StreamParams,
  TranscodeTemplate,
  TranscodeTemplateList,
  TranscodeTemplateParams,
  TranscodeTemplateSet,
} from "@liverelay/api";
import type { MediaPaths } from "../../processing/media-paths";
import type { MediaSupervisor } from "../../processing/media-supervisor";
import { streamFolder } from "../../processing/media-paths";
import { fileBytes, removeRecordingFiles } from "../../processing/recording-files";
import { latestSnapshot, recentSnapshots } from "../../processing/snapshotter";
import type { RecordingRecord } from "../../store/media";
import type { Store } from "../../store/store";
import { conflict, notFound } from "../errors";
import { decodeCursor, encodeCursor } from "../cursor";
import { fileReply } from "../file-reply";
import { defineRoute, type Route } from "../route";

export interface MediaRoutesDeps {
  store: Store;
  paths: MediaPaths;
  /** Told after every successful config write, so workers start and stop within the second. */
  onChange: () => void;
  processing: Pick<MediaSupervisor, "list">;
}

const errors = {
  400: { description: "Invalid request", schema: ErrorBody },
  401: { description: "Missing or invalid bearer token", schema: ErrorBody },
};
const missing = (what: string) => ({ 404: { description: `No such ${what}`, schema: ErrorBody } });

const CONTENT_TYPES: Record<string, string> = { ".mp4": "video/mp4", ".flv": "video/x-flv", ".ts": "video/mp2t", ".m3u8": "application/vnd.apple.mpegurl" };
const contentType = (file: string) => CONTENT_TYPES[path.extname(file)] ?? "application/octet-stream";

/** Transcode templates, snapshot and recording configs per app, the latest snapshot, the recordings, and what the workers are doing. */
export function mediaRoutes(deps: MediaRoutesDeps): Route[] {
  return [...transcodeTemplateRoutes(deps), ...snapshotRoutes(deps), ...recordingConfigRoutes(deps), ...recordingRoutes(deps), ...processingRoutes(deps)];
}

function processingRoutes({ processing }: MediaRoutesDeps): Route[] {
  const common = { method: "GET", tag: "processing", auth: true } as const;
  return [
    defineRoute({
      ...common,
      path: "/v1/domains/:domain/processing",
      operationId: "listProcessing",
      summary: "The transcoders, snapshotters and recorders of a domain's live streams: state, last error, restarts, stats",
      params: DomainParams,
      responses: { 200: { description: "Media workers", schema: ProcessingList }, ...errors },
      handle: ({ params }) => ({ status: 200, body: { items: processing.list(params.domain) } }),
    }),
    defineRoute({
      ...common,
      path: "/v1/domains/:domain/streams/:appName/:streamName/processing",
      operationId: "listStreamProcessing",
      summary: "The media workers of one stream (empty while it is not live or its app has no processing config)",
      params: StreamParams,
      responses: { 200: { description: "Media workers", schema: ProcessingList }, ...errors },
      handle: ({ params }) => ({ status: 200, body: { items: processing.list(params.domain, params) } }),
    }),
  ];
}

function transcodeTemplateRoutes({ store, onChange }: MediaRoutesDeps): Route[] {
  const base = "/v1/domains/:domain/transcode-templates";
  const absent = (id: string) => notFound(`transcode template ${id} does not exist in this domain`);
  const common = { tag: "transcode-templates", auth: true } as const;
  return [
    defineRoute({
      ...common,
      method: "PUT",
      path: `${base}/:templateId`,
      operationId: "putTranscodeTemplate",
      summary: "Create or replace a transcode template: every stream of the app gets a live rendition `<streamName>_<templateId>`",
      params: TranscodeTemplateParams,
      body: TranscodeTemplateSet,
      responses: { 200: { description: "The template (created or replaced)", schema: TranscodeTemplate }, ...errors },
      async handle({ params, body }) {
        const spec = { appName: body.appName, video: { ...body.video, fps: body.video.fps ?? null }, audio: body.audio };
        const { template } = await store.putTranscodeTemplate(params.domain, params.templateId, spec, new Date());
        onChange();
        return { status: 200, body: template };
      },
    }),
    defineRoute({
      ...common,
      method: "GET",
      path: `${base}/:templateId`,
      operationId: "getTranscodeTemplate",
      summary: "Get one transcode template",
      params: TranscodeTemplateParams,
      responses: { 200: { description: "The template", schema: TranscodeTemplate }, ...errors, ...missing("template") },
      async handle({ params }) {
        const template = await store.getTranscodeTemplate(params.domain, params.templateId);
        if (!template) throw absent(params.templateId);
        return { status: 200, body: template };
      },
    }),
    defineRoute({
      ...common,
      method: "GET",
      path: base,
      operationId: "listTranscodeTemplates",
      summary: "Every transcode template of a domain",
      params: DomainParams,
      responses: { 200: { description: "The templates", schema: TranscodeTemplateList }, ...errors },
      handle: async ({ params }) => ({ status: 200, body: { items: await store.listTranscodeTemplates(params.domain) } }),
    }),
    defineRoute({
      ...common,
      method: "DELETE",
      path: `${base}/:templateId`,
      operationId: "deleteTranscodeTemplate",
      summary: "Delete a transcode template (its renditions end)",
      params: TranscodeTemplateParams,
      responses: { 204: { description: "Deleted" }, ...errors, ...missing("template") },
      async handle({ params }) {
        if (!(await store.deleteTranscodeTemplate(params.domain, params.templateId))) throw absent(params.templateId);
        onChange();
        return { status: 204 };
      },
    }),
  ];
}

/** PUT / GET / DELETE of a per-app config (snapshots, recording): the same three routes. */
function appConfigRoutes<Set, Config>(o: {
  name: "snapshot" | "recording";
  body: z.ZodType<Set>;
  schema: z.ZodType<Config>;
  set: (domain: string, appName: string, body: Set) => Promise<Config>;
  get: (domain: string, appName: string) => Promise<Config | null>;
  remove: (domain: string, appName: string) => Promise<boolean>;
  onChange: () => void;
}): Route[] {
  const path = `/v1/domains/:domain/apps/:appName/${o.name}-config`;
  const id = o.name === "snapshot" ? "SnapshotConfig" : "RecordingConfig";
  const absent = (appName: string) => notFound(`app ${appName} has no ${o.name} config in this domain`);
  const common = { tag: `${o.name}-config`, auth: true, path, params: AppParams } as const;
  return [
    defineRoute({
      ...common,
      method: "PUT",
      operationId: `set${id}`,
      summary: `Set the ${o.name} config of an app: it applies to every stream of the app while it is live`,
      body: o.body,
      responses: { 200: { description: "The config", schema: o.schema }, ...errors },
      async handle({ params, body }) {
        const config = await o.set(params.domain, params.appName, body);
        o.onChange();
        return { status: 200, body: config };
      },
    }),
    defineRoute({
      ...common,
      method: "GET",
      operationId: `get${id}`,
      summary: `Get the ${o.name} config of an app`,
      responses: { 200: { description: "The config", schema: o.schema }, ...errors, ...missing("config") },
      async handle({ params }) {
        const config = await o.get(params.domain, params.appName);
        if (!config) throw absent(params.appName);
        return { status: 200, body: config };
      },
    }),
    defineRoute({
      ...common,
      method: "DELETE",
      operationId: `delete${id}`,
      summary: `Delete the ${o.name} config of an app (running ${o.name === "snapshot" ? "snapshotters" : "recorders"} stop; files stay)`,
      responses: { 204: { description: "Deleted" }, ...errors, ...missing("config") },
      async handle({ params }) {
        if (!(await o.remove(params.domain, params.appName))) throw absent(params.appName);
        o.onChange();
        return { status: 204 };
      },
    }),
  ];
}

function snapshotRoutes({ store, paths, onChange }: MediaRoutesDeps): Route[] {
  const configRoutes = appConfigRoutes({
    name: "snapshot",
    body: SnapshotConfigSet,
    schema: SnapshotConfig,
    async set(domain, appName, body) {
      const config = { domain, appName, intervalSeconds: body.intervalSeconds, keep: body.keep, updatedAt: new Date().toISOString() };
      await store.setSnapshotConfig(config);
      return config;
    },
    get: (domain, appName) => store.getSnapshotConfig(domain, appName),
    remove: (domain, appName) => store.deleteSnapshotConfig(domain, appName),
    onChange,
  });
  const latest = defineRoute({
    method: "GET",
    path: "/v1/domains/:domain/streams/:appName/:streamName/snapshot.jpg",
    operationId: "getLatestSnapshot",
    summary: "The stream's latest snapshot (image/jpeg)",
    tag: "snapshot-config",
    auth: true,
    params: StreamParams,
    responses: { 200: { description: "A JPEG (content-type image/jpeg)" }, ...errors, ...missing("snapshot yet") },
    handle({ params, req }) {
      const file = latestSnapshot(path.join(paths.snapshots, streamFolder(params)));
      if (!file) throw notFound(`no snapshot of ${params.appName}/${params.streamName} yet`);
      return fileReply(file, "image/jpeg", req.headers.range, { "cache-control": "no-store" });
    },
  });
  const recent = defineRoute({
    method: "GET",
    path: "/v1/domains/:domain/streams/:appName/:streamName/snapshots",
    operationId: "listSnapshots",
    summary: "The stream's kept snapshots, newest first (at most the app's snapshot config `keep`; empty without a config)",
    tag: "snapshot-config",
    auth: true,
    params: StreamParams,
    responses: { 200: { description: "Snapshots", schema: SnapshotList }, ...errors },
    async handle({ params }) {
      const config = await store.getSnapshotConfig(params.domain, params.appName);
      const shots = config ? recentSnapshots(path.join(paths.snapshots, streamFolder(params)), config.keep) : [];
      return { status: 200, body: { items: shots.map((s) => ({ name: s.name, takenAt: s.takenAt.toISOString(), bytes: s.bytes })) } };
    },
  });
  const one = defineRoute({
    method: "GET",
    path: "/v1/domains/:domain/streams/:appName/:streamName/snapshots/:name",
    operationId: "getSnapshot",
    summary: "One kept snapshot (image/jpeg); a name never changes content, so it may be cached",
    tag: "snapshot-config",
    auth: true,
    params: SnapshotFileParams,
    responses: { 200: { description: "A JPEG (content-type image/jpeg)" }, ...errors, ...missing("snapshot (pruned, or never taken)") },
    handle({ params, req }) {
      // The name pattern (digits, '-', '.jpg') keeps the path inside the stream's folder.
      const file = path.join(paths.snapshots, streamFolder(params), params.name);
      return fileReply(file, "image/jpeg", req.headers.range, { "cache-control": "private, max-age=86400, immutable" });
    },
  });
  return [...configRoutes, latest, recent, one];
}

function recordingConfigRoutes({ store, onChange }: MediaRoutesDeps): Route[] {
  return appConfigRoutes({
    name: "recording",
    body: RecordingConfigSet,
    schema: RecordingConfig,
    async set(domain, appName, body) {
      const config = { domain, appName, format: body.format, segmentSeconds: body.segmentSeconds, updatedAt: new Date().toISOString() };
      await store.setRecordingConfig(config);
      return config;
    },
    get: (domain, appName) => store.getRecordingConfig(domain, appName),
    remove: (domain, appName) => store.deleteRecordingConfig(domain, appName),
    onChange,
  });
}

function recordingRoutes({ store, paths }: MediaRoutesDeps): Route[] {
  const base = "/v1/domains/:domain/recordings";
  const common = { tag: "recordings", auth: true } as const;
  const find = async (domain: string, id: string) => {
    const r = await store.getRecording(domain, id);
    if (!r) throw notFound(`recording ${id} does not exist in this domain`);
    return r;
  };
  /** The API view: no file path; a recording still being written shows its current size. */
  const view = (r: RecordingRecord): Recording => ({
    id: r.id,
    appName: r.appName,
    streamName: r.streamName,
    format: r.format,
    startedAt: r.startedAt,
    endedAt: r.endedAt,
    durationSeconds: r.durationSeconds,
    bytes: r.endedAt === null && r.format !== "hls" ? fileBytes(path.join(paths.recordings, r.path)) : r.bytes,
  });
  const attachment = (r: RecordingRecord) => ({ "content-disposition": `attachment; filename="${r.streamName}-${r.id}${path.extname(r.path)}"` });
  return [
    defineRoute({
      ...common,
      method: "GET",
      path: base,
      operationId: "listRecordings",
      summary: "Recordings of a domain, oldest first, filtered and paginated",
      params: DomainParams,
      query: RecordingListQuery,
      responses: { 200: { description: "A page of recordings", schema: RecordingList }, ...errors },
      async handle({ params, query }) {
        const { limit, cursor, ...filter } = query;
        const page = await store.listRecordings(params.domain, filter, { limit, afterId: cursor ? decodeCursor(cursor) : undefined });
        return { status: 200, body: { items: page.items.map(view), nextCursor: page.lastId ? encodeCursor(page.lastId) : null } };
      },
    }),
    defineRoute({
      ...common,
      method: "GET",
      path: `${base}/:id`,
      operationId: "getRecording",
      summary: "One recording",
      params: RecordingParams,
      responses: { 200: { description: "The recording", schema: Recording }, ...errors, ...missing("recording") },
      handle: async ({ params }) => ({ status: 200, body: view(await find(params.domain, params.id)) }),
    }),
    defineRoute({
      ...common,
      method: "GET",
      path: `${base}/:id/file`,
      operationId: "downloadRecording",
      summary: "The recording's file, with Range support; for hls the playlist, whose segments are under …/files/{name}",
      params: RecordingParams,
      responses: { 200: { description: "The file (video/mp4, video/x-flv, or an HLS playlist)" }, 206: { description: "The requested byte range" }, ...errors, ...missing("recording"), 416: { description: "Range not satisfiable", schema: ErrorBody } },
      async handle({ params, req }) {
        const r = await find(params.domain, params.id);
        const file = path.join(paths.recordings, r.path);
        if (r.format === "hls") return { status: 200, raw: { contentType: contentType(file), text: playlistForApi(file) } };
        return fileReply(file, contentType(file), req.headers.range, attachment(r));
      },
    }),
    defineRoute({
      ...common,
      method: "GET",
      path: `${base}/:id/files/:name`,
      operationId: "downloadRecordingSegment",
      summary: "One segment of an hls recording, with Range support",
      params: RecordingFileParams,
      responses: { 200: { description: "The segment (video/mp2t)" }, 206: { description: "The requested byte range" }, ...errors, ...missing("recording or segment"), 416: { description: "Range not satisfiable", schema: ErrorBody } },
      async handle({ params, req }) {
        const r = await find(params.domain, params.id);
        if (r.format !== "hls") throw notFound(`recording ${r.id} is one ${r.format} file: GET …/file`);
        const file = path.join(paths.recordings, path.dirname(r.path), params.name);
        return fileReply(file, contentType(file), req.headers.range);
      },
    }),
    defineRoute({
      ...common,
      method: "DELETE",
      path: `${base}/:id`,
      operationId: "deleteRecording",
      summary: "Delete a finished recording: its index entry and its files",
      params: RecordingParams,
      responses: { 204: { description: "Deleted" }, ...errors, ...missing("recording"), 409: { description: "The recording is still being written", schema: ErrorBody } },
      async handle({ params }) {
        const r = await find(params.domain, params.id);
        if (r.endedAt === null) throw conflict("the recording is still being written; delete it once it has ended");
        await store.deleteRecording(params.domain, params.id);
        removeRecordingFiles(paths.recordings, r);
        return { status: 204 };
      },
    }),
  ];
}

/** The playlist with each segment URI pointing at …/files/{name}, relative to …/file where it is served. */
function playlistForApi(file: string): string {
  let text: string;
  try {
    text = fs.readFileSync(file, "utf8");
  } catch {
    throw notFound("the playlist does not exist (any more)");
  }
  return text.replace(/^(?!#)(\S+)$/gm, "files/$1");
}
