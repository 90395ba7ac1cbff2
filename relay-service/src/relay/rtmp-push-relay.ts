import type tls from "node:tls";
import { redactUrl } from "@liverelay/api";
import { FlvReader, type FlvReaderTag } from "../media/flv-reader";
import { isAudioSequenceHeader, isVideoSequenceHeader } from "../media/flv";
import { parseRtmpUrl, RtmpUrlError } from "../rtmp/destination-url";
import { PublishError, RtmpPublisher } from "../rtmp/publisher";
import type { RelayEngine, RelayEngineOptions, RelayExit, RelayStats } from "./relay-engine";

/** A clean stop (FCUnpublish, deleteStream, FIN) gets this long before the socket is cut. */
const STOP_GRACE_MS = 2_000;
/** Stats are rates over at least this long, so a 200 ms tick does not make them jumpy. */
const RATE_WINDOW_MS = 1_000;

export interface RtmpPushOptions {
  tlsTrust?: tls.SecureContext;
  /** TCP connect to Publish.Start. */
  publishTimeoutMs?: number;
}

/**
 * The in-process relay for rtmp:// and rtmps:// destinations: the hub's FLV stream is cut back
 * into tags and published with the project's own RTMP client, so a relay costs a socket and a
 * few buffers, not a process. Timestamps start at 0 at the first frame, as ffmpeg's copy did.
 */
export class RtmpPushRelay implements RelayEngine {
  readonly name: string;
  private publisher?: RtmpPublisher;
  private readonly flv = new FlvReader((tag) => this.onTag(tag));
  private reason?: RelayExit;
  private exitHandlers: ((e: RelayExit) => void)[] = [];
  private exited?: Promise<void>;
  private resolveExited!: () => void;
  private base?: number;
  private current: RelayStats = { bytesOut: 0, bitrateKbps: 0, fps: 0, lastProgressAt: 0, mediaOut: false };
  private sample = { at: 0, bytes: 0, frames: 0 };

  constructor(
    private readonly opts: RelayEngineOptions,
    private readonly push: RtmpPushOptions = {},
  ) {
    this.name = `relay ${opts.templateId}`;
    this.exited = new Promise((r) => (this.resolveExited = r));
  }

  start(): void {
    let target;
    try {
      target = parseRtmpUrl(this.opts.destinationUrl);
    } catch (err) {
      const message = err instanceof RtmpUrlError ? err.message : "invalid destination URL";
      queueMicrotask(() => this.finish({ kind: "failed", code: "BadDestination", message }));
      return;
    }
    this.publisher = new RtmpPublisher(target, { onPublishing: () => {}, onClosed: (err) => this.onClosed(err) }, {
      secureContext: this.push.tlsTrust,
      timeoutMs: this.push.publishTimeoutMs,
    });
    this.publisher.connect();
  }

  write(chunk: Buffer): void {
    if (this.reason) return;
    try {
      this.flv.push(chunk);
    } catch {
      this.reason = { kind: "failed", code: "ProtocolError", message: "the source is not an FLV stream" };
      this.publisher?.destroy();
    }
  }

  queuedBytes(): number {
    return this.publisher?.queuedBytes ?? 0;
  }

  close(reason: "ended" | "overflow"): void {
    this.reason ??= reason === "ended" ? { kind: "source-ended" } : { kind: "overflow" };
    if (reason === "overflow") this.publisher?.destroy();
    else this.endGracefully();
  }

  async stop(): Promise<void> {
    this.reason ??= { kind: "stopped" };
    this.endGracefully();
    await this.exited;
  }

  stats(): RelayStats {
    const p = this.publisher;
    if (!p) return { ...this.current };
    const now = Date.now();
    const bytes = Math.max(0, p.bytesFlushed);
    if (bytes > this.current.bytesOut) this.current.lastProgressAt = now;
    this.current.bytesOut = bytes;
    this.current.mediaOut = p.mediaFlushed;
    if (this.sample.at === 0) this.sample = { at: now, bytes, frames: p.videoFrames };
    else if (now - this.sample.at >= RATE_WINDOW_MS) {
      const seconds = (now - this.sample.at) / 1000;
      this.current.bitrateKbps = Math.round(((bytes - this.sample.bytes) * 8) / seconds / 100) / 10;
      this.current.fps = Math.round(((p.videoFrames - this.sample.frames) / seconds) * 100) / 100;
      this.sample = { at: now, bytes, frames: p.videoFrames };
    }
    return { ...this.current };
  }

  onExit(fn: (exit: RelayExit) => void): void {
    this.exitHandlers.push(fn);
  }

  private onTag(tag: FlvReaderTag) {
    this.publisher?.sendTag(tag.type, this.rebase(tag), tag.payload);
  }

  /** Metadata and sequence headers go at 0; frames relative to the first frame (32-bit wrap safe). */
  private rebase(tag: FlvReaderTag): number {
    const header = tag.type === 18 || (tag.type === 9 && isVideoSequenceHeader(tag.payload)) || (tag.type === 8 && isAudioSequenceHeader(tag.payload));
    if (this.base === undefined) {
      if (header) return 0;
      this.base = tag.timestamp;
    }
    const delta = (tag.timestamp - this.base) | 0;
    return delta > 0 ? delta : 0;
  }

  private endGracefully() {
    if (!this.publisher) return this.finish(this.reason ?? { kind: "stopped" });
    this.publisher.finish();
    const force = setTimeout(() => this.publisher?.destroy(), STOP_GRACE_MS);
    void this.exited!.then(() => clearTimeout(force));
  }

  private onClosed(err?: PublishError) {
    this.stats(); // final byte count
    // The message names where (scheme, host, port, app; the key redacted), then what happened.
    const where = redactUrl(this.opts.destinationUrl);
    this.finish(this.reason ?? { kind: "failed", code: err?.code ?? "DestinationFailed", message: `${where}: ${err?.message ?? "the destination closed the connection"}` });
  }

  private finish(exit: RelayExit) {
    const handlers = this.exitHandlers;
    this.exitHandlers = [];
    this.resolveExited();
    for (const h of handlers) h(exit);
  }
}
