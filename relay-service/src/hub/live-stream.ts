import type { FlvTagType } from "../media/flv";
import { FlvGopCache } from "./flv-gop-cache";
import type { Subscriber } from "./subscriber";
import { TsGopCache } from "./ts-gop-cache";

export type IngestProtocol = "rtmp" | "srt";

export interface StreamKey {
  domain: string;
  appName: string;
  streamName: string;
}

export const streamKeyString = (k: StreamKey) => `${k.domain}/${k.appName}/${k.streamName}`;

/** A reader whose queue grows past this is dropped (≈ 13 s of a 2.5 Mbit/s stream). */
export const MAX_SUBSCRIBER_QUEUE_BYTES = 4 * 1024 * 1024;
const BITRATE_WINDOW_MS = 5_000;

interface Pending {
  subscriber: Subscriber;
}

/**
 * One live stream in the hub: its media facts, the GOP cache new readers start from, and
 * its readers. Written by exactly one publisher (an RTMP or SRT session).
 */
export class LiveStream {
  readonly startedAt = new Date();
  private readonly subscribers = new Set<Subscriber>();
  private readonly pending = new Set<Pending>();
  /** RTMP streams are FLV to their readers, SRT streams MPEG-TS: each has its own start cache. */
  private readonly gop: FlvGopCache | TsGopCache;
  private ended = false;
  private hangUpPublisher: () => void = () => {};
  private bytesIn = 0;
  private window: { at: number; bytes: number }[] = [];

  constructor(
    readonly key: StreamKey,
    readonly protocol: IngestProtocol,
    private readonly onOverflow: (s: Subscriber) => void = () => {},
  ) {
    this.gop = protocol === "srt" ? new TsGopCache() : new FlvGopCache();
  }

  /** The container readers receive: FLV for RTMP ingest, MPEG-TS for SRT (ffmpeg's `-f` for its input). */
  get container(): "flv" | "mpegts" {
    return this.protocol === "srt" ? "mpegts" : "flv";
  }

  /** RTMP ingest: one FLV tag body. */
  pushFlvTag(type: FlvTagType, timestamp: number, payload: Buffer): void {
    if (this.ended || !(this.gop instanceof FlvGopCache)) return;
    this.countIn(payload.length);
    this.broadcast(this.gop.add(type, timestamp, payload));
  }

  /** SRT ingest: MPEG-TS bytes as received (need not be packet-aligned); readers get whole packets. */
  pushTs(chunk: Buffer): void {
    if (this.ended || !(this.gop instanceof TsGopCache)) return;
    this.countIn(chunk.length);
    const packets = this.gop.add(chunk);
    if (packets.length > 0) this.broadcast(packets);
  }

  /** Adds a reader; it gets the cached start (headers + GOP) then every new tag. */
  subscribe(subscriber: Subscriber): () => void {
    if (this.ended) {
      subscriber.close("ended");
      return () => {};
    }
    const entry = { subscriber };
    if (this.gop.joinable) this.admit(subscriber);
    else this.pending.add(entry);
    return () => {
      this.pending.delete(entry);
      this.subscribers.delete(subscriber);
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
    for (const s of this.subscribers) s.close("ended");
    for (const p of this.pending) p.subscriber.close("ended");
    this.subscribers.clear();
    this.pending.clear();
  }

  get isLive(): boolean {
    return !this.ended;
  }

  get subscriberCount(): number {
    return this.subscribers.size + this.pending.size;
  }

  /** Media facts for the streams API: from onMetaData (RTMP) or the PMT (SRT). */
  describe() {
    return {
      appName: this.key.appName,
      streamName: this.key.streamName,
      protocol: this.protocol,
      ...this.gop.mediaInfo(),
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

  private broadcast(chunk: Buffer) {
    for (const s of this.subscribers) this.deliver(s, chunk);
    if (this.pending.size > 0 && this.gop.joinable) this.admitPending();
  }

  private admit(subscriber: Subscriber) {
    this.subscribers.add(subscriber);
    for (const chunk of this.gop.snapshot()) this.deliver(subscriber, chunk);
  }

  private admitPending() {
    for (const p of this.pending) this.admit(p.subscriber);
    this.pending.clear();
  }

  private deliver(subscriber: Subscriber, chunk: Buffer) {
    if (!this.subscribers.has(subscriber)) return;
    if (subscriber.queuedBytes() > MAX_SUBSCRIBER_QUEUE_BYTES) {
      this.subscribers.delete(subscriber);
      subscriber.close("overflow");
      this.onOverflow(subscriber);
      return;
    }
    subscriber.write(chunk);
  }
}
