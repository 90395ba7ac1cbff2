import type { TranscodeTemplate } from "@liverelay/api";
import { FlvReader } from "../media/flv-reader";
import type { LiveStream, StreamKey } from "../hub/live-stream";
import type { StreamHub } from "../hub/stream-hub";
import { FfmpegSubscriber, type FfmpegExit } from "../supervisor/ffmpeg-subscriber";
import { OutputStats } from "../supervisor/output-stats";
import type { MediaWorker } from "./media-worker";

type Container = "flv" | "mpegts";

/** `show` + template `sd` → `show_sd`, same domain and app. */
export const renditionKey = (source: StreamKey, templateId: string): StreamKey => ({ ...source, streamName: `${source.streamName}_${templateId}` });

/** ffmpeg's arguments after the common ones: decode the hub's stream, encode per template, write the same container to stdout. */
export function transcodeArgs(t: Pick<TranscodeTemplate, "video" | "audio">, container: Container): string[] {
  const v = t.video;
  return [
    // Readers start with codec headers and a keyframe: no long probing needed (see FfmpegRelay).
    "-probesize", "32", "-analyzeduration", "0",
    "-f", container, "-i", "pipe:0",
    "-map", "0:v:0", "-map", "0:a:0?",
    "-vf", `scale=-2:${v.height}`,
    "-c:v", "libx264", "-preset", "veryfast", "-tune", "zerolatency", "-pix_fmt", "yuv420p",
    "-b:v", `${v.bitrateKbps}k`, "-maxrate", `${v.bitrateKbps}k`, "-bufsize", `${v.bitrateKbps * 2}k`,
    ...keyframeArgs(v.fps, v.gopSeconds),
    ...(t.audio ? ["-c:a", "aac", "-b:a", `${t.audio.bitrateKbps}k`] : ["-c:a", "copy"]),
    ...(container === "flv" ? ["-flvflags", "no_duration_filesize"] : []),
    "-f", container, "pipe:1",
  ];
}

/**
 * A fixed GOP, so every rendition segment starts on the same beat: with a frame rate, a
 * keyframe every fps × gop frames; without one (the source's rate, unknown here), a keyframe
 * forced every gop seconds of timestamps. Scene-cut keyframes are off in both cases.
 */
function keyframeArgs(fps: number | null | undefined, gopSeconds: number): string[] {
  if (fps) {
    const frames = String(fps * gopSeconds);
    return ["-r", String(fps), "-g", frames, "-keyint_min", frames, "-sc_threshold", "0"];
  }
  return ["-force_key_frames", `expr:gte(t,n_forced*${gopSeconds})`, "-g", "1000", "-sc_threshold", "0"];
}

/**
 * One live rendition: ffmpeg reads the source from the hub and encodes it; its output is
 * parsed and published back into the hub as `{streamName}_{templateId}`, in the source's
 * protocol, so relays, the streams API and other readers treat it like any live stream.
 * The rendition ends with the worker; a restarted worker publishes it afresh.
 */
export class Transcoder implements MediaWorker {
  readonly kind = "transcoder";
  private readonly ffmpeg: FfmpegSubscriber;
  private readonly key: StreamKey;
  private readonly flv = new FlvReader((tag) => this.rendition?.pushFlvTag(tag.type, tag.timestamp, tag.payload));
  private readonly encoded = new OutputStats();
  private rendition: LiveStream | undefined;
  private unsubscribe?: () => void;
  private failure?: string;

  constructor(
    private readonly source: LiveStream,
    private readonly template: TranscodeTemplate,
    private readonly hub: StreamHub,
  ) {
    this.key = renditionKey(source.key, template.id);
    const container: Container = source.container;
    this.ffmpeg = new FfmpegSubscriber({
      name: `transcoder ${template.id}`,
      args: transcodeArgs(template, container),
      onStdout: (chunk) => this.onOutput(chunk),
      onProgress: (p) => this.encoded.update(p.totalSize, p.fps),
    });
  }

  /** The live rendition this worker publishes, once its first output arrived. */
  get output(): LiveStream | undefined {
    return this.rendition;
  }

  start(): void {
    this.ffmpeg.start();
    this.unsubscribe = this.source.subscribe(this.ffmpeg);
  }

  async stop(): Promise<void> {
    this.endRendition(); // at once: a replacement worker may publish the same name right away
    await this.ffmpeg.stop();
  }

  onExit(fn: (exit: FfmpegExit) => void): void {
    this.ffmpeg.onExit((exit) => {
      this.unsubscribe?.();
      this.endRendition();
      fn(this.failure ? { kind: "failed", message: this.failure } : exit);
    });
  }

  /** The encoder's output grew: frames were encoded and muxed. */
  lastOutputAt(): number {
    return this.encoded.snapshot().lastProgressAt;
  }

  stallTimeoutMs(base: number): number {
    return base;
  }

  stats() {
    const { fps, bitrateKbps } = this.encoded.snapshot();
    return { fps, bitrateKbps };
  }

  private onOutput(chunk: Buffer): void {
    if (this.failure) return;
    this.rendition ??= this.publish();
    if (!this.rendition) return;
    if (this.source.protocol === "srt") return this.rendition.pushTs(chunk);
    try {
      this.flv.push(chunk);
    } catch (err) {
      this.fail(`unreadable transcoder output: ${(err as Error).message}`);
    }
  }

  private publish(): LiveStream | undefined {
    const stream = this.hub.publish(this.key, this.source.protocol);
    if (!stream) this.fail(`stream ${this.key.streamName} is already live (published directly); the rendition waits for it to end`);
    return stream ?? undefined;
  }

  private fail(message: string): void {
    this.failure ??= message;
    void this.ffmpeg.stop();
  }

  private endRendition(): void {
    if (this.rendition) this.hub.unpublish(this.rendition);
  }
}
