// One accepted publish: forwards media and script data to the hub's sink and
// guarantees onEnd is called exactly once.
import type { Logger } from "pino";
import { Amf0Reader } from "../media/amf0";
import { MessageType, RtmpMessage } from "./protocol";
import type { RtmpPublishSink } from "./server";

export type PublishEndReason = Parameters<RtmpPublishSink["onEnd"]>[0];

export class Publication {
  private ended = false;

  constructor(
    readonly streamId: number,
    private readonly sink: RtmpPublishSink,
    private readonly log: Logger,
  ) {}

  get isEnded(): boolean {
    return this.ended;
  }

  /** Audio (8) / video (9): passed through untouched, codec payloads are never parsed here. */
  handleMedia(message: RtmpMessage): void {
    if (this.ended || message.payload.length === 0) return; // empty tags carry nothing to relay
    this.sink.onTag(message.type as 8 | 9, message.timestamp, message.payload);
  }

  handleData(message: RtmpMessage): void {
    if (this.ended) return;
    const body = scriptTagBody(message, this.log);
    if (body) this.sink.onTag(18, message.timestamp, body);
  }

  /** The publish is accepted: the sink may hang the connection up later (publisher takeover). */
  start(hangUp: () => void): void {
    this.sink.onStart?.(hangUp);
  }

  end(reason: PublishEndReason): void {
    if (this.ended) return;
    this.ended = true;
    try {
      this.sink.onEnd(reason);
    } catch (err) {
      this.log.error({ err }, "publish sink onEnd threw");
    }
  }
}

/**
 * The FLV script tag body for a data message: `@setDataFrame` is an RTMP-only
 * wrapper ("store this as the stream's metadata"), so it is cut off and the
 * rest (e.g. "onMetaData", {...}) is passed on byte for byte.
 * `@clearDataFrame` has no FLV equivalent and is dropped.
 */
export function scriptTagBody(message: RtmpMessage, log?: Logger): Buffer | null {
  let body = message.payload;
  // AMF3 data messages (type 15) prefix the AMF0 values with a format byte.
  if (message.type === MessageType.DataAmf3 && body[0] === 0) body = body.subarray(1);
  try {
    const reader = new Amf0Reader(body);
    const first = reader.readValue();
    if (first === "@setDataFrame") return body.subarray(reader.position);
    if (first === "@clearDataFrame") return null;
    return body;
  } catch (err) {
    log?.debug({ err }, "dropping undecodable data message");
    return null;
  }
}
