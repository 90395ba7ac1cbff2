import type { Logger } from "pino";
import type { Store } from "../store/store";
import type { StreamHub } from "../hub/stream-hub";
import type { IngestProtocol, LiveStream } from "../hub/live-stream";
import { resolveStreamKey, type PublishTarget } from "./stream-identity";
import { verifyAuthKey } from "./url-signing";

export type GateDecision =
  | { accept: true; stream: LiveStream; srtPassphrase: string | null }
  | { accept: false; code: "Unauthorized" | "Conflict" | "BadRequest"; description: string };

/**
 * The one place that decides whether a publish may start, for every protocol: identity,
 * ingest auth, and "already live". Accepting claims the stream in the hub.
 */
export class PublishGate {
  constructor(
    private readonly deps: { store: Store; hub: StreamHub; defaultDomain: string; logger: Logger },
  ) {}

  async admit(target: PublishTarget, protocol: IngestProtocol, remoteAddress: string): Promise<GateDecision> {
    const identity = resolveStreamKey(target, this.deps.defaultDomain);
    if (!identity.ok) return { accept: false, code: "BadRequest", description: identity.message };
    const key = identity.key;
    const log = this.deps.logger.child({ domain: key.domain, appName: key.appName, streamName: key.streamName, protocol, remoteAddress });
    const auth = await this.deps.store.getIngestAuth(key.domain);
    if (auth) {
      const check = verifyAuthKey({ appName: key.appName, streamName: key.streamName, authKey: target.query.get("auth_key"), key: auth.key, now: new Date() });
      if (!check.ok) {
        log.warn({ reason: check.reason }, "publish refused: ingest auth failed");
        return { accept: false, code: "Unauthorized", description: `auth_key ${check.reason}` };
      }
    }
    const stream = this.deps.hub.publish(key, protocol);
    if (!stream) {
      log.warn("publish refused: stream already live");
      return { accept: false, code: "Conflict", description: "stream is already being published" };
    }
    log.info("publish started");
    return { accept: true, stream, srtPassphrase: auth?.srtPassphrase ?? null };
  }
}
