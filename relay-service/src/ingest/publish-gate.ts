import type { Logger } from "pino";
import type { StreamHub } from "../hub/stream-hub";
import type { IngestProtocol, LiveStream, StreamKey } from "../hub/live-stream";
import type { IngestAuthCache, IngestSettingsCache } from "./ingest-auth-cache";
import { resolveStreamKey, type PublishTarget } from "./stream-identity";
import { verifyAuthKey } from "./url-signing";
import type { RefusalEvents } from "./refusal-events";

export type GateRefusal = { accept: false; code: "Unauthorized" | "Conflict" | "BadRequest"; description: string };
type Admitted<Claim> = { accept: true; key: StreamKey; claim: Claim; srtPassphrase: string | null };
/** `takeover`: the publish may end a live publication of its key (an authenticated publish, domain opted in). */
type ClaimFn<C> = (key: StreamKey, takeover: boolean) => C | null;

/**
 * How long an SRT caller accepted at the handshake holds its stream key until its connection
 * arrives. The connection follows in milliseconds; a caller whose handshake fails after the
 * listen callback (wrong passphrase) never arrives, and its hold lapses.
 */
export const SRT_RESERVATION_MS = 3_000;

/**
 * The one place that decides whether a publish may start, for every protocol: identity,
 * ingest auth, and "already live". It is synchronous (ingest auth comes from an in-memory
 * cache) because SRT decides inside libsrt's listen callback.
 */
export class PublishGate {
  constructor(
    private readonly deps: {
      ingestAuth: IngestAuthCache;
      hub: StreamHub;
      defaultDomain: string;
      logger: Logger;
      refusals?: RefusalEvents;
      /** Per-domain ingest settings (publisher takeover); absent: every setting off. */
      settings?: IngestSettingsCache;
      /** In a cluster: the node holding a live stream elsewhere, as last heard (the store's claim decides in the end). */
      heldElsewhere?: (key: StreamKey) => string | null;
    },
  ) {}

  /** Only a publisher that proved it holds the domain's signing key may end another's publish. */
  mayTakeOver(domain: string): boolean {
    return this.deps.ingestAuth.get(domain) !== null && (this.deps.settings?.publisherTakeover(domain) ?? false);
  }

  /** RTMP decides on the publish command, with the session in hand: accepting claims the stream. */
  admitRtmp(target: PublishTarget, remoteAddress: string): Admitted<LiveStream> | GateRefusal {
    return this.decide(target, "rtmp", remoteAddress, (key, takeover) => this.deps.hub.publish(key, "rtmp", { takeover }));
  }

  /**
   * SRT decides in the listen callback, before the connection exists: accepting reserves the
   * stream key (see StreamHub.reserve) and names the passphrase the handshake must carry.
   */
  admitSrt(target: PublishTarget, remoteAddress: string): Admitted<true> | GateRefusal {
    return this.decide(target, "srt", remoteAddress, (key, takeover) => this.deps.hub.reserve(key, SRT_RESERVATION_MS, { takeover }) || null);
  }

  private decide<C>(target: PublishTarget, protocol: IngestProtocol, remoteAddress: string, claim: ClaimFn<C>): Admitted<C> | GateRefusal {
    const identity = resolveStreamKey(target, this.deps.defaultDomain);
    if (!identity.ok) return { accept: false, code: "BadRequest", description: identity.message };
    const key = identity.key;
    const log = this.deps.logger.child({ domain: key.domain, appName: key.appName, streamName: key.streamName, protocol, remoteAddress });
    // Some SRT callers retry a refused handshake ~100 times a second; SrtServer logs those
    // refusals once per window, so here they are only debug lines.
    const refused = (fields: object, msg: string) => (protocol === "srt" ? log.debug(fields, msg) : log.warn(fields, msg));
    const auth = this.deps.ingestAuth.get(key.domain);
    if (auth) {
      const check = verifyAuthKey({ appName: key.appName, streamName: key.streamName, authKey: target.query.get("auth_key"), key: auth.key, now: new Date() });
      if (!check.ok) {
        refused({ reason: check.reason }, "publish refused: ingest auth failed");
        this.deps.refusals?.refused(key, protocol, "Unauthorized", `auth_key ${check.reason}`, remoteAddress);
        return { accept: false, code: "Unauthorized", description: `auth_key ${check.reason}` };
      }
    }
    const takeover = this.mayTakeOver(key.domain);
    const elsewhere = takeover ? null : (this.deps.heldElsewhere?.(key) ?? null);
    const claimed = elsewhere === null ? claim(key, takeover) : null;
    if (claimed === null) {
      refused({ node: elsewhere ?? undefined }, "publish refused: stream already live");
      this.deps.refusals?.refused(key, protocol, "Conflict", "stream is already being published", remoteAddress);
      return { accept: false, code: "Conflict", description: "stream is already being published" };
    }
    log.info({ takeoverAllowed: takeover }, "publish admitted");
    return { accept: true, key, claim: claimed, srtPassphrase: auth?.srtPassphrase ?? null };
  }
}
