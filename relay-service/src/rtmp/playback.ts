// One accepted play: the server side of an RTMP player. Media arrives as FLV tags and goes
// out as RTMP messages on the play's message stream, batched into one corked write per turn.
import type { Socket } from "node:net";
import type { FlvTagType } from "../media/flv";
import { encodeAmf0 } from "../media/amf0";
import type { ChunkWriter } from "./chunk-writer";
import { MessageType, type RtmpMessage } from "./protocol";

const Csid = { Audio: 4, Data: 5, Video: 6 } as const;

/** What a stream source writes into: one player. */
export interface RtmpPlayer {
  /** One FLV tag body: 8 audio, 9 video, 18 script data (onMetaData). */
  sendTag(type: FlvTagType, timestamp: number, payload: Buffer): void;
  /** Bytes written but not yet taken by the kernel: the reader's queue. */
  queuedBytes(): number;
  /** The stream ended (or the player fell behind): say so and hang up. */
  stop(reason: "ended" | "overflow"): void;
}

export class Playback implements RtmpPlayer {
  private batch: Buffer[] = [];
  private batchBytes = 0;
  private flushScheduled = false;
  private stopped = false;

  constructor(
    readonly streamId: number,
    private readonly socket: Socket,
    private readonly writer: ChunkWriter,
    private readonly onStop: (reason: "ended" | "overflow") => void,
  ) {}

  /** `|RtmpSampleAccess` lets Flash-era players read the media; harmless for the others. */
  sampleAccessMessage(): RtmpMessage {
    return { chunkStreamId: Csid.Data, type: MessageType.DataAmf0, streamId: this.streamId, timestamp: 0, payload: encodeAmf0("|RtmpSampleAccess", true, true) };
  }

  sendTag(type: FlvTagType, timestamp: number, payload: Buffer): void {
    if (this.stopped) return;
    const message: RtmpMessage = {
      chunkStreamId: type === 8 ? Csid.Audio : type === 9 ? Csid.Video : Csid.Data,
      type: type === 18 ? MessageType.DataAmf0 : type,
      streamId: this.streamId,
      timestamp,
      payload,
    };
    for (const part of this.writer.encodeParts(message)) this.batch.push(part);
    this.batchBytes += payload.length;
    if (!this.flushScheduled) {
      this.flushScheduled = true;
      setImmediate(() => this.flush());
    }
  }

  queuedBytes(): number {
    return this.batchBytes + this.socket.writableLength;
  }

  stop(reason: "ended" | "overflow"): void {
    if (this.stopped) return;
    this.flush();
    this.stopped = true;
    this.onStop(reason);
  }

  /** The player left: nothing more is written. */
  detach(): void {
    this.stopped = true;
    this.batch = [];
    this.batchBytes = 0;
  }

  private flush(): void {
    this.flushScheduled = false;
    if (this.batch.length === 0 || this.stopped || this.socket.destroyed) return;
    const batch = this.batch;
    this.batch = [];
    this.batchBytes = 0;
    this.socket.cork();
    for (const part of batch) this.socket.write(part);
    this.socket.uncork();
  }
}
