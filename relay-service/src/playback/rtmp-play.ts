import type { RtmpPlayDecision, RtmpPublishRequest } from "../rtmp";
import { FlvReader } from "../media/flv-reader";
import { tcUrlHost } from "../ingest/stream-identity";
import type { PlayGate } from "./play-gate";
import { claimPlayerSlot, slotRefusalMessage, type PlayerDeps } from "./player-attach";

/**
 * RTMP play: `rtmp://host/app/stream?vhost=…&auth_key=…`, the stream named as for publishing.
 * The hub's FLV bytes are cut back into tags and sent as RTMP messages.
 */
export function rtmpPlayHandler(gate: PlayGate, deps: PlayerDeps): (req: RtmpPublishRequest) => RtmpPlayDecision {
  return (req) => {
    const target = { app: req.app, streamName: req.streamName, query: req.query, host: tcUrlHost(req.tcUrl) };
    const admission = gate.admitTarget(target, "rtmp", { authKey: req.query.get("auth_key") });
    if (!admission.ok) return { accept: false, code: admission.code, description: admission.message };
    const slot = claimPlayerSlot(deps, admission.stream, "rtmp", "flv");
    if (typeof slot === "string") return { accept: false, code: "Busy", description: slotRefusalMessage(slot) };
    return {
      accept: true,
      start(player) {
        const tags = new FlvReader((tag) => player.sendTag(tag.type, tag.timestamp, tag.payload));
        return slot.attach({ write: (chunk) => tags.push(chunk), queuedBytes: () => player.queuedBytes(), end: (reason) => player.stop(reason) });
      },
    };
  };
}
