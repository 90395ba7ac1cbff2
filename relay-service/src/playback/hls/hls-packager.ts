import type { LiveStream } from "../../hub/live-stream";
import { TsSegmenter, type TsSegment } from "./ts-segmenter";

export interface HlsPackagerOptions {
  /** Segments are cut at the first keyframe after this many seconds. */
  targetSeconds: number;
  /** Segments kept in memory and listed in the playlist. */
  windowSegments: number;
  /** A segment is cut at this size even without a keyframe (bounds memory per stream). */
  maxSegmentBytes: number;
}

export const DEFAULT_HLS_OPTIONS: HlsPackagerOptions = { targetSeconds: 1, windowSegments: 6, maxSegmentBytes: 8 * 1024 * 1024 };

/** What feeds a packager: the stream's MPEG-TS, from its keyframe on (a hub reader). */
export interface TsSource {
  /** Starts the feed; returns its stop. `onEnd` is told when the stream ends or the feed is dropped. */
  open(onPackets: (packets: Buffer) => void, onEnd: (reason: "ended" | "overflow") => void): () => void;
}

/**
 * HLS for one live stream, in memory: a hub reader cut into segments at keyframes, the latest
 * `windowSegments` kept (so at most windowSegments × maxSegmentBytes per stream), a live media
 * playlist over them. Runs only while players ask (the service stops idle ones).
 */
export class HlsPackager {
  private readonly segments: TsSegment[] = [];
  private readonly waiters = new Set<() => void>();
  private stopFeed: () => void = () => {};
  private ended = false;
  lastAccess = Date.now();

  constructor(
    readonly stream: LiveStream,
    source: TsSource,
    private readonly opts: HlsPackagerOptions = DEFAULT_HLS_OPTIONS,
    private readonly onEnd: (reason: "ended" | "overflow") => void = () => {},
  ) {
    const segmenter = new TsSegmenter({ targetSeconds: opts.targetSeconds, maxBytes: opts.maxSegmentBytes }, (s) => this.addSegment(s));
    const stop = source.open((packets) => segmenter.push(packets), (reason) => this.finish(reason));
    if (this.ended) stop();
    else this.stopFeed = stop;
  }

  get isEnded(): boolean {
    return this.ended;
  }

  /** Resolves once a segment exists (true), or false after `timeoutMs` / at the end of the stream. */
  whenReady(timeoutMs: number): Promise<boolean> {
    if (this.segments.length > 0) return Promise.resolve(true);
    if (this.ended) return Promise.resolve(false);
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.waiters.delete(done);
        resolve(this.segments.length > 0);
      };
      const timer = setTimeout(done, timeoutMs);
      this.waiters.add(done);
    });
  }

  /** The live media playlist; `uri` names a segment by its sequence number. */
  playlist(uri: (sequence: number) => string): string {
    this.lastAccess = Date.now();
    const first = this.segments[0]?.sequence ?? 0;
    const target = Math.max(1, Math.ceil(Math.max(this.opts.targetSeconds, ...this.segments.map((s) => s.durationSeconds))));
    const lines = ["#EXTM3U", "#EXT-X-VERSION:3", `#EXT-X-TARGETDURATION:${target}`, `#EXT-X-MEDIA-SEQUENCE:${first}`];
    for (const s of this.segments) {
      if (s.discontinuity) lines.push("#EXT-X-DISCONTINUITY");
      lines.push(`#EXTINF:${s.durationSeconds.toFixed(3)},`, uri(s.sequence));
    }
    if (this.ended) lines.push("#EXT-X-ENDLIST");
    return lines.join("\n") + "\n";
  }

  segment(sequence: number): Buffer | null {
    this.lastAccess = Date.now();
    return this.segments.find((s) => s.sequence === sequence)?.data ?? null;
  }

  /** Average bitrate of the window, for the master playlist's BANDWIDTH. */
  bandwidth(): number {
    const seconds = this.segments.reduce((n, s) => n + s.durationSeconds, 0);
    const bytes = this.segments.reduce((n, s) => n + s.data.length, 0);
    return seconds > 0 ? Math.round((bytes * 8) / seconds) : 1_000_000;
  }

  stop(): void {
    this.finish("ended");
  }

  private addSegment(segment: TsSegment): void {
    this.segments.push(segment);
    while (this.segments.length > this.opts.windowSegments) this.segments.shift();
    for (const wake of [...this.waiters]) wake();
  }

  private finish(reason: "ended" | "overflow"): void {
    if (this.ended) return;
    this.ended = true;
    this.stopFeed();
    for (const wake of [...this.waiters]) wake();
    this.onEnd(reason);
  }
}
