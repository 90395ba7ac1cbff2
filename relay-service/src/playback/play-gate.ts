import type { Logger } from "pino";
import type { LiveStream, StreamKey } from "../hub/live-stream";
import type { StreamHub } from "../hub/stream-hub";
import type { IngestAuthCache, IngestSettingsCache } from "../ingest/ingest-auth-cache";
import { resolveStreamKey, type PublishTarget } from "../ingest/stream-identity";
import { verifyAuthKey } from "../ingest/url-signing";

/** How a player reads: RTMP play, HTTP-FLV, HLS, SRT `m=request`. */
export type ReadProtocol = "rtmp" | "flv" | "hls" | "srt";
export const READ_PROTOCOLS: readonly ReadProtocol[] = ["rtmp", "flv", "hls", "srt"];

export type PlayRefusalCode = "BadRequest" | "Unauthorized" | "Forbidden" | "NotFound";
/** Another node holds the stream: HTTP reads are sent there, other protocols refused naming it. */
export interface StreamHolder {
  nodeId: string;
  /** Its advertised HTTP address; null when it advertises none. */
  httpUrl: string | null;
}
export type PlayRefusal = { ok: false; code: PlayRefusalCode; message: string; heldBy?: StreamHolder };
export type PlayAdmission = { ok: true; stream: LiveStream };

export interface PlayCredentials {
  /** The `auth_key` of the URL (type A, signed with the domain's play key). */
  authKey: string | null;
  /** HTTP reads only: the request's `Authorization` header (the API token as a bearer). */
  authorization?: string;
}

/**
 * Decides whether a player may read a stream, for every protocol: identity, then credentials
 * (the API token for HTTP reads, a URL signed with the domain's play key, or the domain's
 * open playback), then whether the stream is live. Synchronous like the publish gate: SRT asks
 * inside libsrt's listen callback. Credentials come before liveness, so an unauthorised peer
 * cannot probe which streams are live.
 */
export class PlayGate {
  constructor(
    private readonly deps: {
      hub: StreamHub;
      ingestAuth: IngestAuthCache;
      settings: IngestSettingsCache;
      defaultDomain: string;
      checkToken: (authorization: string | undefined) => boolean;
      /** The other node holding a stream that is not live here (cluster); null when none does. */
      holderOf?: (key: StreamKey) => StreamHolder | null;
      logger: Logger;
    },
  ) {}

  /** A player naming its stream the way publishers do (RTMP app/stream + vhost, SRT `h`/`r`). */
  admitTarget(target: PublishTarget, protocol: ReadProtocol, credentials: PlayCredentials): PlayAdmission | PlayRefusal {
    const identity = resolveStreamKey(target, this.deps.defaultDomain);
    if (!identity.ok) return { ok: false, code: "BadRequest", message: identity.message };
    return this.admit(identity.key, protocol, credentials);
  }

  admit(key: StreamKey, protocol: ReadProtocol, credentials: PlayCredentials): PlayAdmission | PlayRefusal {
    const refusal = this.checkCredentials(key, credentials);
    if (refusal) {
      this.deps.logger.debug({ domain: key.domain, appName: key.appName, streamName: key.streamName, protocol, code: refusal.code }, "read refused");
      return refusal;
    }
    const stream = this.deps.hub.get(key);
    if (stream) return { ok: true, stream };
    const heldBy = this.deps.holderOf?.(key) ?? null;
    if (!heldBy) return { ok: false, code: "NotFound", message: "the stream is not live" };
    this.deps.logger.info({ domain: key.domain, appName: key.appName, streamName: key.streamName, protocol, holder: heldBy.nodeId }, "read of a stream another node holds");
    return { ok: false, code: "NotFound", message: `the stream is live on node ${heldBy.nodeId}, not on this one: read it there`, heldBy };
  }

  private checkCredentials(key: StreamKey, credentials: PlayCredentials): PlayRefusal | null {
    if (this.deps.settings.openPlayback(key.domain)) return null;
    if (credentials.authorization !== undefined) {
      return this.deps.checkToken(credentials.authorization) ? null : { ok: false, code: "Unauthorized", message: "the bearer token is not valid" };
    }
    if (!credentials.authKey) {
      return { ok: false, code: "Unauthorized", message: "reading this stream needs a URL signed with the domain's play key (auth_key) or, over HTTP, the API token" };
    }
    const playKey = this.deps.ingestAuth.get(key.domain)?.playKey;
    if (!playKey) return { ok: false, code: "Forbidden", message: "this domain has no play key: signed playback URLs are not accepted" };
    const check = verifyAuthKey({ appName: key.appName, streamName: key.streamName, authKey: credentials.authKey, key: playKey, now: new Date() });
    return check.ok ? null : { ok: false, code: "Forbidden", message: `auth_key ${check.reason}` };
  }
}
