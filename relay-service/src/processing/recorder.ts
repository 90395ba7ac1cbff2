import fs from "node:fs";
import path from "node:path";
import type { Logger } from "pino";
import type { RecordingConfig } from "@liverelay/api";
import type { LiveStream } from "../hub/live-stream";
import type { MediaStore, RecordingEnd, RecordingRecord } from "../store/media";
import { FfmpegSubscriber, type FfmpegExit } from "../supervisor/ffmpeg-subscriber";
import { fileStamp, streamFolder } from "./media-paths";
import type { MediaWorker } from "./media-worker";
import type { EventSink } from "../events/event-bus";
import { endFromFiles, fileBytes, hlsTotals, newRecordingId, removeRecordingFiles, roundMs } from "./recording-files";

/** Fragmented mp4: every keyframe closes a fragment, so a file cut by a crash still plays up to there. */
const FRAGMENTED_MP4 = "movflags=+frag_keyframe+empty_moov+default_base_moof";
/** A recording is not latency-bound: 1 s of probing lets ffmpeg learn every codec parameter the container header needs. */
const PROBE = ["-analyzeduration", "1000000"];

/**
 * ffmpeg's arguments after the common ones. mp4 and flv: the segment muxer, one file per
 * `segmentSeconds` (cut at the next keyframe), each closed segment reported on stdout as a
 * CSV line `name,start,end`. hls: one playlist (type event) and its segments per publish.
 */
export function recordArgs(config: Pick<RecordingConfig, "format" | "segmentSeconds">, container: "flv" | "mpegts", target: string): string[] {
  const input = [...PROBE, "-f", container, "-i", "pipe:0", "-map", "0", "-c", "copy"];
  const seconds = String(config.segmentSeconds);
  if (config.format === "hls") {
    const segments = path.join(path.dirname(target), "seg-%05d.ts");
    return [...input, "-f", "hls", "-hls_time", seconds, "-hls_playlist_type", "event", "-hls_flags", "temp_file", "-hls_segment_filename", segments, target];
  }
  return [
    ...input,
    "-f", "segment", "-segment_time", seconds, "-reset_timestamps", "1", "-segment_format", config.format,
    ...(config.format === "mp4" ? ["-segment_format_options", FRAGMENTED_MP4] : []),
    "-segment_list", "pipe:1", "-segment_list_type", "csv",
    target,
  ];
}

/**
 * Records a live stream under `recordings/{domain}/{app}/{stream}/` and keeps the index in the
 * store: a row per segment file (mp4, flv) or per publish (hls), inserted when writing starts
 * (so a crash leaves it to the start-up recovery) and completed when the file closes.
 */
export class Recorder implements MediaWorker {
  readonly kind = "recorder";
  private readonly ffmpeg: FfmpegSubscriber;
  private readonly folder: string;
  private readonly stamp = fileStamp(new Date());
  private unsubscribe?: () => void;
  /** The file being written: its row is open (no endedAt). */
  private open?: RecordingRecord;
  /** Index writes, in order; the exit is reported after the last one. */
  private writes: Promise<unknown> = Promise.resolve();
  private listBuffer = "";
  /** Bytes of the files this run closed (mp4/flv segments; hls segments seen so far). */
  private closedBytes = 0;
  /** hls: the next segment number not yet counted in closedBytes. */
  private nextHlsSegment = 0;
  private written = { bytes: 0, at: 0 };
  private mediaMuxed = { outTimeUs: 0, at: 0 };

  constructor(
    private readonly source: LiveStream,
    private readonly config: RecordingConfig,
    private readonly deps: { store: MediaStore; nodeId: string; root: string; logger: Logger; events?: EventSink },
  ) {
    this.folder = streamFolder(source.key);
    const container = source.container;
    const segmented = config.format !== "hls";
    this.ffmpeg = new FfmpegSubscriber({
      name: "recorder",
      args: recordArgs(config, container, path.join(deps.root, this.outputPattern())),
      onStdout: segmented ? (chunk) => this.onSegmentList(chunk) : undefined,
      onProgress: (p) => this.onProgress(p.outTimeUs),
    });
  }

  start(): void {
    fs.mkdirSync(path.dirname(path.join(this.deps.root, this.firstPath())), { recursive: true, mode: 0o700 });
    this.openFile(this.firstPath(), new Date());
    this.ffmpeg.start();
    this.unsubscribe = this.source.subscribe(this.ffmpeg);
  }

  /** SIGTERM: ffmpeg closes the current segment properly (trailer, last list line) before it exits. */
  stop(): Promise<void> {
    return this.ffmpeg.stop();
  }

  onExit(fn: (exit: FfmpegExit) => void): void {
    this.ffmpeg.onExit((exit) => {
      this.unsubscribe?.();
      this.queue(() => this.closeLast());
      void this.writes.then(() => fn(exit));
    });
  }

  /**
   * The files grew, or ffmpeg muxed more media. Both count: fragmented mp4 holds a whole GOP
   * in memory and hls a whole segment before writing, so a healthy file can stay the same
   * size for longer than the stall timeout; a stopped ffmpeg or a stuck disk stops both.
   */
  lastOutputAt(): number {
    this.measure();
    return Math.max(this.written.at, this.mediaMuxed.at);
  }

  stallTimeoutMs(base: number): number {
    return base;
  }

  stats() {
    this.measure();
    return { fileId: this.open?.id ?? null, bytesWritten: this.written.bytes, lastWriteAt: this.written.at > 0 ? new Date(this.written.at).toISOString() : null };
  }

  /** Bytes on disk so far: closed files plus the one being written (hls: its finished segments). */
  private measure(): void {
    const bytes = this.config.format === "hls" ? this.countHlsSegments() : this.closedBytes + (this.open ? fileBytes(path.join(this.deps.root, this.open.path)) : 0);
    if (bytes > this.written.bytes) this.written = { bytes, at: Date.now() };
  }

  /** hls segments appear whole (written to a temp file, then renamed): count each new one once. */
  private countHlsSegments(): number {
    if (!this.open) return this.closedBytes;
    const dir = path.dirname(path.join(this.deps.root, this.open.path));
    for (;;) {
      const segment = path.join(dir, `seg-${String(this.nextHlsSegment).padStart(5, "0")}.ts`);
      if (!fs.existsSync(segment)) return this.closedBytes;
      this.closedBytes += fileBytes(segment);
      this.nextHlsSegment++;
    }
  }

  private onProgress(outTimeUs: number): void {
    if (outTimeUs > this.mediaMuxed.outTimeUs) this.mediaMuxed = { outTimeUs, at: Date.now() };
  }

  /** The first file: `{stamp}-00000.mp4`, or for hls `{stamp}/index.m3u8` (a folder per publish). */
  private firstPath(): string {
    if (this.config.format === "hls") return path.join(this.folder, this.stamp, "index.m3u8");
    return path.join(this.folder, `${this.stamp}-00000.${this.config.format}`);
  }

  /** What ffmpeg is told to write: the playlist, or the segment file pattern. */
  private outputPattern(): string {
    return this.config.format === "hls" ? this.firstPath() : path.join(this.folder, `${this.stamp}-%05d.${this.config.format}`);
  }

  private openFile(relativePath: string, at: Date): void {
    const k = this.source.key;
    const row: RecordingRecord = { id: newRecordingId(at), domain: k.domain, appName: k.appName, streamName: k.streamName, format: this.config.format, path: relativePath, startedAt: at.toISOString(), endedAt: null, durationSeconds: null, bytes: 0, nodeId: this.deps.nodeId };
    this.open = row;
    this.queue(async () => {
      await this.deps.store.addRecording(row);
      this.deps.events?.emit(row.domain, "recording.started", { recordingId: row.id, appName: row.appName, streamName: row.streamName, format: row.format, startedAt: row.startedAt });
    });
  }

  /** Completes a row in the index, then tells the world (a row deleted meanwhile is not reported). */
  private async finish(row: RecordingRecord, end: RecordingEnd): Promise<void> {
    if (!(await this.deps.store.finishRecording(row.id, end))) return;
    const { id, domain, appName, streamName, format, startedAt } = row;
    this.deps.events?.emit(domain, "recording.completed", { recordingId: id, appName, streamName, format, startedAt, endedAt: end.endedAt!, durationSeconds: end.durationSeconds ?? 0, bytes: end.bytes });
  }

  /** One CSV line per closed segment: complete its row, open the next one's. */
  private onSegmentList(chunk: Buffer): void {
    this.listBuffer += chunk.toString();
    let newline: number;
    while ((newline = this.listBuffer.indexOf("\n")) >= 0) {
      const line = this.listBuffer.slice(0, newline).trim();
      this.listBuffer = this.listBuffer.slice(newline + 1);
      const [name, start, end] = line.split(",");
      if (name && start && end) this.segmentClosed(name, Number(end) - Number(start));
    }
  }

  private segmentClosed(name: string, seconds: number): void {
    const closed = this.open;
    if (!closed || path.basename(closed.path) !== name) return this.deps.logger.warn({ segment: name }, "segment list names an unexpected file");
    const now = new Date();
    const bytes = fileBytes(path.join(this.deps.root, closed.path));
    this.closedBytes += bytes;
    this.queue(() => this.finish(closed, { endedAt: now.toISOString(), durationSeconds: roundMs(seconds), bytes }));
    const index = Number(/-(\d+)\.\w+$/.exec(name)?.[1] ?? 0) + 1;
    this.openFile(path.join(this.folder, name.replace(/-\d+(\.\w+)$/, `-${String(index).padStart(5, "0")}$1`)), now);
  }

  /**
   * After ffmpeg exited: hls totals its playlist; for mp4/flv the open row is the segment after
   * the last closed one, which exists only if ffmpeg was cut off mid-segment. A row without a
   * playable file goes.
   */
  private async closeLast(): Promise<void> {
    const last = this.open;
    this.open = undefined;
    if (!last) return;
    const end = this.config.format === "hls" ? hlsEnd(path.join(this.deps.root, last.path)) : await endFromFiles(this.deps.root, last);
    if (end) await this.finish(last, end);
    else {
      await this.deps.store.deleteRecording(last.domain, last.id);
      removeRecordingFiles(this.deps.root, last);
    }
  }

  private queue(write: () => Promise<unknown>): void {
    this.writes = this.writes.then(write).catch((err: unknown) => this.deps.logger.error({ err }, "recording index write failed"));
  }
}

function hlsEnd(playlist: string) {
  const totals = hlsTotals(playlist);
  return totals && totals.durationSeconds > 0 ? { endedAt: new Date().toISOString(), ...totals } : null;
}
