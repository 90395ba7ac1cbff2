import type { IncomingMessage, ServerResponse } from "node:http";
import { z } from "zod";
import { AppName, Domain, ErrorBody, StreamName } from "@liverelay/api";
import type { LiveStream, StreamKey } from "../../hub/live-stream";
import type { PlayGate, PlayRefusal, ReadProtocol, StreamHolder } from "../../playback/play-gate";
import { claimPlayerSlot, slotRefusalMessage, type PlayerDeps, type SlotRefusal } from "../../playback/player-attach";
import type { HlsService } from "../../playback/hls/hls-service";
import { CORS_HEADERS } from "../cors";
import { ApiProblem, badRequest, notFound } from "../errors";
import { defineRoute, type Route } from "../route";

export interface PlaybackRoutesDeps extends PlayerDeps {
  gate: PlayGate;
  hls: HlsService;
}

const PlayFileParams = z.object({
  domain: Domain,
  app: AppName,
  file: z.string().regex(/^[A-Za-z0-9_.-]{1,255}\.(flv|m3u8)$/, "must be {streamName}.flv or {streamName}.m3u8").meta({ description: "`{streamName}.flv` (HTTP-FLV) or `{streamName}.m3u8` (HLS)" }),
});
const SegmentParams = z.object({
  domain: Domain,
  app: AppName,
  stream: StreamName,
  segment: z.string().regex(/^\d{1,12}\.ts$/, "must be {sequence}.ts"),
});
const PlayQuery = z.object({
  auth_key: z.string().max(256).optional().meta({ description: "A URL signed with the domain's play key: {expiry}-{rand}-{uid}-{md5hex}" }),
  session: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/).optional().meta({ description: "HLS player session (set by the master playlist)" }),
});

const errors = {
  400: { description: "Invalid path", schema: ErrorBody },
  401: { description: "No credentials, or an invalid bearer token", schema: ErrorBody },
  403: { description: "auth_key invalid, expired, or the domain has no play key", schema: ErrorBody },
  307: { description: "Another node of the cluster holds the stream: the same path and query there (Location)", schema: ErrorBody },
  404: { description: "The stream is not live", schema: ErrorBody },
  429: { description: "Reader limit reached (RateLimited)", schema: ErrorBody },
  503: { description: "Another node holds the stream but advertises no HTTP address (StreamElsewhere)", schema: ErrorBody },
};
const GATE_STATUS: Record<PlayRefusal["code"], number> = { BadRequest: 400, Unauthorized: 401, Forbidden: 403, NotFound: 404 };
/** How long a playlist request waits for the first segment of a packager just started. */
const FIRST_SEGMENT_WAIT_MS = 8_000;

/**
 * Playback over HTTP, each read authorised by the play gate (API token as a bearer, a URL
 * signed with the play key, or the domain's open playback): HTTP-FLV, a chunked stream from
 * the cached keyframe on, and HLS from an in-memory packager.
 */
export function playbackRoutes(deps: PlaybackRoutesDeps): Route[] {
  return [
    defineRoute({
      method: "GET",
      path: "/live/:domain/:app/:file",
      operationId: "play",
      summary: "Play a live stream: {stream}.flv (HTTP-FLV) or {stream}.m3u8 (HLS)",
      tag: "playback",
      auth: false,
      cors: true,
      quiet: true,
      params: PlayFileParams,
      query: PlayQuery,
      responses: { 200: { description: "video/x-flv (chunked, until the stream ends) or an HLS playlist" }, ...errors },
      async handle({ params, query, req, res, requestId }) {
        const [, streamName, kind] = /^(.*)\.(flv|m3u8)$/.exec(params.file)!;
        if (!StreamName.safeParse(streamName).success) throw badRequest("streamName must be 1-255 letters, digits, '_', '-' or '.'", "file");
        const key = { domain: params.domain, appName: params.app, streamName };
        if (kind === "flv") {
          const stream = admit(deps.gate, key, "flv", query.auth_key, req);
          return serveFlv(deps, stream, res, requestId);
        }
        const stream = admit(deps.gate, key, "hls", query.auth_key, req);
        return serveHlsPlaylist(deps, stream, query, res);
      },
    }),
    defineRoute({
      method: "GET",
      path: "/live/:domain/:app/:stream/:segment",
      operationId: "playHlsSegment",
      summary: "One HLS segment (MPEG-TS) of a live stream",
      tag: "playback",
      auth: false,
      cors: true,
      quiet: true,
      params: SegmentParams,
      query: PlayQuery,
      responses: { 200: { description: "video/mp2t" }, ...errors },
      handle({ params, query, req }) {
        const stream = admit(deps.gate, { domain: params.domain, appName: params.app, streamName: params.stream }, "hls", query.auth_key, req);
        if (query.session) deps.hls.touchSession(query.session, stream);
        const data = deps.hls.packager(stream).segment(Number(params.segment.slice(0, -3)));
        if (!data) throw notFound("no such segment (it left the live window, or is not cut yet)");
        return { status: 200, headers: { "cache-control": "max-age=60" }, raw: { contentType: "video/mp2t", text: data } };
      },
    }),
  ];
}

function admit(gate: PlayGate, key: StreamKey, protocol: ReadProtocol, authKey: string | undefined, req: IncomingMessage): LiveStream {
  const decision = gate.admit(key, protocol, { authKey: authKey ?? null, authorization: req.headers.authorization });
  if (decision.ok) return decision.stream;
  if (decision.heldBy) throw sendToHolder(decision.heldBy, req);
  const headers: Record<string, string> = decision.code === "Unauthorized" ? { "www-authenticate": 'Bearer realm="liverelay"' } : {};
  throw new ApiProblem(GATE_STATUS[decision.code], decision.code, decision.message, undefined, headers);
}

/**
 * Another node holds the stream: the same path and query (a signed URL stays signed) on its
 * advertised address. Nothing is added: a bearer token is the client's to send again (clients
 * drop it on a redirect to another origin, so players there use signed URLs or open playback).
 */
function sendToHolder(holder: StreamHolder, req: IncomingMessage): ApiProblem {
  if (!holder.httpUrl) {
    return new ApiProblem(503, "StreamElsewhere", `the stream is live on node ${holder.nodeId}, which advertises no HTTP address (start it with --public-host) so this node cannot send players there`, undefined, { "retry-after": "5" });
  }
  const location = new URL(req.url ?? "/", holder.httpUrl).toString();
  return new ApiProblem(307, "StreamElsewhere", `the stream is live on node ${holder.nodeId}: read it at Location`, undefined, { location, "cache-control": "no-store" });
}

function slotProblem(reason: SlotRefusal): ApiProblem {
  return new ApiProblem(429, "RateLimited", slotRefusalMessage(reason), undefined, { "retry-after": "5" });
}

/** HTTP-FLV: a chunked response fed by a hub reader, from the cached keyframe until the stream ends. */
function serveFlv(deps: PlaybackRoutesDeps, stream: LiveStream, res: ServerResponse, requestId: string) {
  const slot = claimPlayerSlot(deps, stream, "flv", "flv");
  if (typeof slot === "string") throw slotProblem(slot);
  res.writeHead(200, { ...CORS_HEADERS, "content-type": "video/x-flv", "cache-control": "no-store", "x-request-id": requestId });
  res.flushHeaders();
  const detach = slot.attach({
    write: (chunk) => void res.write(chunk),
    queuedBytes: () => res.writableLength,
    end: (reason) => (reason === "ended" ? res.end() : res.destroy()),
  });
  res.on("close", detach);
  return { status: 200 };
}

/**
 * HLS: without a session, a master playlist that opens one (a reader place) and points at the
 * media playlist with it; with one, the live media playlist, once the first segment is cut.
 */
async function serveHlsPlaylist(deps: PlaybackRoutesDeps, stream: LiveStream, query: z.infer<typeof PlayQuery>, res: ServerResponse) {
  const packager = deps.hls.packager(stream);
  const credentials = query.auth_key ? `&auth_key=${encodeURIComponent(query.auth_key)}` : "";
  const playlistHeaders = { "content-type": "application/vnd.apple.mpegurl", "cache-control": "no-store" };
  if (!query.session || !deps.hls.touchSession(query.session, stream)) {
    const session = deps.hls.openSession(stream);
    if (session === "max-readers" || session === "max-readers-per-stream") throw slotProblem(session);
    await packager.whenReady(FIRST_SEGMENT_WAIT_MS);
    const media = `${stream.key.streamName}.m3u8?session=${session}${credentials}`;
    const master = ["#EXTM3U", "#EXT-X-VERSION:3", `#EXT-X-STREAM-INF:BANDWIDTH=${packager.bandwidth()}`, media, ""].join("\n");
    return { status: 200, headers: playlistHeaders, raw: { contentType: playlistHeaders["content-type"], text: master } };
  }
  if (!(await packager.whenReady(FIRST_SEGMENT_WAIT_MS)) && !res.destroyed) throw notFound("no segment yet: the stream has sent no keyframe");
  const text = packager.playlist((sequence) => `${stream.key.streamName}/${sequence}.ts?session=${query.session}${credentials}`);
  return { status: 200, headers: playlistHeaders, raw: { contentType: playlistHeaders["content-type"], text } };
}
