import type { FlvTagType } from "../media/flv";
import { FlvFrameDemuxer } from "../media/flv-frames";
import type { MediaFrame } from "../media/frame";
import { TsFrameDemuxer } from "../media/ts-demux";
import { FlvGopCache } from "./flv-gop-cache";
import { FrameGopCache, type StreamTracks } from "./frame-gop-cache";
import { FlvFrameOutput, TsFrameOutput, type FrameOutput } from "./frame-outputs";
import { ReaderSet } from "./readers";
import type { Subscriber } from "./subscriber";
import { TsGopCache } from "./ts-gop-cache";

export { MAX_SUBSCRIBER_QUEUE_BYTES } from "./readers";

export type IngestProtocol = "rtmp" | "srt";
/** The byte streams readers can ask for: FLV (RTMP, HTTP-FLV) or MPEG-TS (SRT, HLS). */
export type Container = "flv" | "mpegts";

export interface StreamKey {
  domain: string;
  appName: string;
  streamName: string;
}

export const streamKeyString = (k: StreamKey) => `${k.domain}/${k.appName}/${k.streamName}`;

export interface SubscribeOptions {
  /** The container to read; by default the publisher's own (FLV for RTMP, MPEG-TS for SRT). */
  container?: Container;
}

const BITRATE_WINDOW_MS = 5_000;

/**
 * One live stream in the hub: its media facts, the caches new readers start from, and its
 * readers. Written by exactly one publisher (an RTMP or SRT session).
 *
 * The publisher's container is passed through as it came (byte for byte, every stream it
 * carries), and is also demuxed into frames: tracks and a GOP of access units. Readers of the
 * other container are served from those frames by one muxer per stream, made when the first
 * such reader arrives and dropped with the last, so a stream nobody converts pays only the
 * demux.
 */
export class LiveStream {
  readonly startedAt = new Date();
  /** The publisher's container, as received: FLV tags for RTMP, MPEG-TS packets for SRT. */
  private readonly native: FlvGopCache | TsGopCache;
  private readonly nativeReaders: ReaderSet;
  private readonly frames = new FrameGopCache();
  private readonly flvDemuxer?: FlvFrameDemuxer;
  private readonly tsDemuxer?: TsFrameDemuxer;
  private converted?: { output: FrameOutput; readers: ReaderSet };
  private ended = false;
  private hangUpPublisher: () => void = () => {};
  private bytesIn = 0;
  private window: { at: number; bytes: number }[] = [];

  constructor(
    readonly key: StreamKey,
    readonly protocol: IngestProtocol,
    private readonly onOverflow: (s: Subscriber) => void = () => {},
  ) {
    if (protocol === "srt") {
      this.native = new TsGopCache();
      this.tsDemuxer = new TsFrameDemuxer((frame) => this.onFrame(frame));
    } else {
      this.native = new FlvGopCache();
      this.flvDemuxer = new FlvFrameDemuxer();
    }
    this.nativeReaders = new ReaderSet(this.native, onOverflow);
  }

  /** The publisher's container (ffmpeg's `-f` for a reader that takes the default). */
  get container(): Container {
    return this.protocol === "srt" ? "mpegts" : "flv";
  }

  /** The stream's current tracks (codec and configuration), as demuxed from the publisher's container. */
  get tracks(): Readonly<StreamTracks> {
    return this.frames.tracks;
  }

  /** RTMP ingest: one FLV tag body. */
  pushFlvTag(type: FlvTagType, timestamp: number, payload: Buffer): void {
    if (this.ended || !(this.native instanceof FlvGopCache)) return;
    this.countIn(payload.length);
    this.nativeReaders.broadcast(this.native.add(type, timestamp, payload));
    const frame = this.flvDemuxer!.push(type, timestamp, payload);
    if (frame) this.onFrame(frame);
  }

  /** SRT ingest: MPEG-TS bytes as received (need not be packet-aligned); readers get whole packets. */
  pushTs(chunk: Buffer): void {
    if (this.ended || !(this.native instanceof TsGopCache)) return;
    this.countIn(chunk.length);
    const packets = this.native.add(chunk);
    if (packets.length === 0) return;
    this.nativeReaders.broadcast(packets);
    this.tsDemuxer!.push(packets);
  }

  /**
   * Adds a reader of `opts.container` (default: the publisher's): it gets the cached start
   * (headers + GOP) then every new chunk. Returns the unsubscribe function.
   */
  subscribe(subscriber: Subscriber, opts: SubscribeOptions = {}): () => void {
    if (this.ended) {
      subscriber.close("ended");
      return () => {};
    }
    if ((opts.container ?? this.container) === this.container) return this.nativeReaders.add(subscriber);
    const converted = this.convertedOutput();
    const remove = converted.readers.add(subscriber);
    return () => {
      remove();
      if (this.converted === converted && converted.readers.size === 0) this.converted = undefined; // nobody left to mux for
    };
  }

  /**
   * How to close the publishing connection from the server side (publisher takeover). A stream
   * already ended (taken over while its session was still being accepted) hangs up at once.
   */
  setPublisherHangUp(hangUp: () => void): void {
    if (this.ended) hangUp();
    else this.hangUpPublisher = hangUp;
  }

  /** A newer publisher takes the key over: close this one's connection (the hub ends the stream). */
  hangUp(): void {
    this.hangUpPublisher();
  }

  end(): void {
    if (this.ended) return;
    this.ended = true;
    this.nativeReaders.closeAll();
    this.converted?.readers.closeAll();
    this.converted = undefined;
  }

  get isLive(): boolean {
    return !this.ended;
  }

  get subscriberCount(): number {
    return this.nativeReaders.size + (this.converted?.readers.size ?? 0);
  }

  /** Media facts for the streams API: from onMetaData (RTMP) or the PMT (SRT). */
  describe() {
    return {
      appName: this.key.appName,
      streamName: this.key.streamName,
      protocol: this.protocol,
      ...this.native.mediaInfo(),
      bitrateKbps: this.bitrateKbps(),
      startedAt: this.startedAt.toISOString(),
    };
  }

  bitrateKbps(): number {
    const now = Date.now();
    this.window = this.window.filter((w) => now - w.at <= BITRATE_WINDOW_MS);
    if (this.window.length < 2) return 0;
    const span = (now - this.window[0].at) / 1000;
    const bytes = this.window.reduce((sum, w) => sum + w.bytes, 0);
    return span > 0 ? Math.round((bytes * 8) / span / 100) / 10 : 0;
  }

  get totalBytesIn(): number {
    return this.bytesIn;
  }

  private countIn(bytes: number) {
    this.bytesIn += bytes;
    const now = Date.now();
    const last = this.window[this.window.length - 1];
    if (last && now - last.at < 100) last.bytes += bytes;
    else this.window.push({ at: now, bytes });
  }

  /** The other container's muxer, fed from the cached GOP first so its first reader starts at once. */
  private convertedOutput(): { output: FrameOutput; readers: ReaderSet } {
    if (this.converted) return this.converted;
    const output = this.container === "flv" ? new TsFrameOutput() : new FlvFrameOutput();
    this.converted = { output, readers: new ReaderSet(output.cache, this.onOverflow) };
    for (const frame of this.frames.frames()) output.push(frame, this.frames.tracks, () => {});
    return this.converted;
  }

  private onFrame(frame: MediaFrame): void {
    this.frames.add(frame);
    if (!this.converted) return;
    const readers = this.converted.readers;
    this.converted.output.push(frame, this.frames.tracks, (chunk) => readers.broadcast(chunk));
  }
}
