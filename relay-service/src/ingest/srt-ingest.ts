import type { Logger } from "pino";
import { SrtServer, parseStreamId, type SrtAcceptDecision, type SrtCallerInfo, type SrtConnection, type SrtServerOptions } from "../srt";
import type { StreamKey } from "../hub/live-stream";
import type { StreamHub } from "../hub/stream-hub";
import type { PublishGate } from "./publish-gate";
import { resolveStreamKey, type PublishTarget } from "./stream-identity";

/** Players (`m=request`): decided at the handshake like publishers, fed once connected. */
export interface SrtReads {
  authorize(target: PublishTarget, remoteAddress: string): SrtAcceptDecision;
  connect(conn: SrtConnection, target: PublishTarget): void;
}

export interface SrtIngestDeps {
  /** Absent: `m=request` callers are refused (BadMode). */
  reads?: SrtReads;
  host: string;
  port: number;
  gate: PublishGate;
  hub: StreamHub;
  defaultDomain: string;
  logger: Logger;
  limits?: Pick<SrtServerOptions, "maxConnections" | "maxPendingHandshakes" | "onRefused">;
}

type TargetResult = { ok: true; target: PublishTarget } | { ok: false; reason: "BadRequest" | "BadMode" };
type ModeTargetResult = { ok: true; mode: "publish" | "request"; target: PublishTarget } | { ok: false; reason: "BadRequest" };

/**
 * The SRT server feeding the hub through the publish gate: one UDP port for every caller,
 * routed by stream id. The gate decides inside the listen callback (synchronously) and only
 * reserves the stream key; the stream is claimed when the connection arrives.
 */
export function createSrtIngest(deps: SrtIngestDeps): SrtServer {
  return new SrtServer({
    host: deps.host,
    port: deps.port,
    logger: deps.logger,
    authorize: (caller) => authorize(deps, caller),
    onConnection: (conn) => connect(deps, conn),
    ...deps.limits,
  });
}

/**
 * A stream id as a stream target and what the caller wants: `r` is `app/stream` (a leading
 * `/` and a `?query`, e.g. auth_key, allowed), `h` names the domain, `m` publish or request.
 */
export function srtTarget(streamId: string): ModeTargetResult {
  const parsed = parseStreamId(streamId);
  if (!parsed) return { ok: false, reason: "BadRequest" };
  const [app, streamName, ...more] = parsed.resource.split("/");
  if (!streamName || more.length > 0) return { ok: false, reason: "BadRequest" };
  return { ok: true, mode: parsed.mode, target: { app, streamName, query: parsed.query, host: parsed.host } };
}

/** A stream id as a publish target; any other mode is BadMode. */
export function srtPublishTarget(streamId: string): TargetResult {
  const parsed = srtTarget(streamId);
  if (!parsed.ok) return parsed;
  if (parsed.mode !== "publish") return { ok: false, reason: "BadMode" };
  return { ok: true, target: parsed.target };
}

function authorize(deps: SrtIngestDeps, caller: SrtCallerInfo): SrtAcceptDecision {
  const parsed = srtTarget(caller.streamId);
  if (!parsed.ok) return { accept: false, reason: parsed.reason };
  if (parsed.mode === "request") return deps.reads ? deps.reads.authorize(parsed.target, caller.remoteAddress) : { accept: false, reason: "BadMode" };
  const decision = deps.gate.admitSrt(parsed.target, caller.remoteAddress);
  if (!decision.accept) return { accept: false, reason: decision.code };
  // libsrt then refuses a caller whose passphrase differs, or that has none.
  return decision.srtPassphrase ? { accept: true, passphrase: decision.srtPassphrase } : { accept: true };
}

/**
 * The caller passed the handshake: claim its stream (first to connect wins, or it takes a live
 * stream over when its reservation allows) and feed it.
 */
function connect(deps: SrtIngestDeps, conn: SrtConnection): void {
  const parsed = srtTarget(conn.streamId);
  if (parsed.ok && parsed.mode === "request" && deps.reads) return deps.reads.connect(conn, parsed.target);
  const key = streamKeyOf(conn.streamId, deps.defaultDomain);
  const stream = key && deps.hub.publish(key, "srt", { fromReservation: true });
  const log = deps.logger.child({ srtConnection: conn.id, ...key, protocol: "srt", remoteAddress: conn.remoteAddress });
  if (!stream) {
    // Two callers for one stream passed their handshakes within the same few milliseconds.
    log.warn("srt connection closed: the stream went live from another caller first");
    conn.close();
    return;
  }
  log.info("publish started");
  stream.setPublisherHangUp(() => {
    log.info("srt connection closed: a newer publisher took the stream over");
    conn.close();
  });
  conn.on("data", (chunk) => stream.pushTs(chunk));
  conn.on("close", (reason) => {
    log.info({ reason, bytesIn: stream.totalBytesIn }, "publish ended");
    deps.hub.unpublish(stream);
  });
}

/** The same identity the gate resolved at the handshake (it depends only on the stream id). */
function streamKeyOf(streamId: string, defaultDomain: string): StreamKey | null {
  const parsed = srtPublishTarget(streamId);
  if (!parsed.ok) return null;
  const identity = resolveStreamKey(parsed.target, defaultDomain);
  return identity.ok ? identity.key : null;
}
