import fs from "node:fs";
import path from "node:path";
import type { SnapshotConfig } from "@liverelay/api";
import type { LiveStream } from "../hub/live-stream";
import { FfmpegSubscriber, type FfmpegExit } from "../supervisor/ffmpeg-subscriber";
import type { MediaWorker } from "./media-worker";
import type { EventSink } from "../events/event-bus";

/** From this interval on, only keyframes are decoded: a snapshot is then at most one GOP old, for a fraction of the CPU. */
const KEYFRAMES_ONLY_FROM_SECONDS = 10;
const PRUNE_EVERY_MS = 1_000;

/** ffmpeg's arguments after the common ones: one JPEG every interval, each written atomically (temp file + rename). */
export function snapshotArgs(config: Pick<SnapshotConfig, "intervalSeconds">, container: "flv" | "mpegts", filePattern: string): string[] {
  const keyframesOnly = config.intervalSeconds >= KEYFRAMES_ONLY_FROM_SECONDS ? ["-skip_frame", "nokey"] : [];
  return [
    ...keyframesOnly,
    "-f", container, "-i", "pipe:0",
    "-map", "0:v:0", "-an",
    "-vf", `fps=1/${config.intervalSeconds}`,
    "-q:v", "3",
    "-f", "image2", "-atomic_writing", "1", filePattern,
  ];
}

/** The newest finished JPEG of a stream's snapshot folder, or null. Names sort by time. */
export function latestSnapshot(dir: string): string | null {
  const files = snapshotFiles(dir);
  return files.length > 0 ? path.join(dir, files[files.length - 1]) : null;
}

/** The newest `keep` finished JPEGs of a stream's snapshot folder, newest first, with when each was written. */
export function recentSnapshots(dir: string, keep: number): { name: string; file: string; takenAt: Date; bytes: number }[] {
  return snapshotFiles(dir)
    .slice(-keep)
    .reverse()
    .flatMap((name) => {
      const file = path.join(dir, name);
      try {
        const stat = fs.statSync(file);
        return [{ name, file, takenAt: stat.mtime, bytes: stat.size }];
      } catch {
        return []; // pruned meanwhile
      }
    });
}

/** Finished JPEGs, oldest first (ffmpeg's temp files end in `.tmp`). */
function snapshotFiles(dir: string): string[] {
  try {
    return fs.readdirSync(dir).filter((f) => f.endsWith(".jpg")).sort();
  } catch {
    return [];
  }
}

/**
 * Takes a JPEG of a live stream every `intervalSeconds` into its snapshot folder and keeps
 * the newest `keep`. File names start with the worker's start time in ms, so the latest
 * sorts last across restarts and republishes.
 */
export class Snapshotter implements MediaWorker {
  readonly kind = "snapshotter";
  private readonly ffmpeg: FfmpegSubscriber;
  private unsubscribe?: () => void;
  private lastPrune = 0;
  /** The newest JPEG already announced as snapshot.updated. */
  private announced?: string;
  private readonly filePrefix: string;
  private lastShotAt = 0;

  constructor(
    private readonly source: LiveStream,
    private readonly config: SnapshotConfig,
    private readonly dir: string,
    private readonly events?: EventSink,
  ) {
    this.filePrefix = `${String(Date.now()).padStart(15, "0")}-`;
    const pattern = path.join(dir, `${this.filePrefix}%06d.jpg`);
    const container = source.container;
    this.ffmpeg = new FfmpegSubscriber({ name: "snapshotter", args: snapshotArgs(config, container, pattern), onProgress: () => this.pruneNowAndThen() });
  }

  start(): void {
    fs.mkdirSync(this.dir, { recursive: true, mode: 0o700 });
    this.ffmpeg.start();
    this.unsubscribe = this.source.subscribe(this.ffmpeg);
  }

  stop(): Promise<void> {
    return this.ffmpeg.stop();
  }

  onExit(fn: (exit: FfmpegExit) => void): void {
    this.ffmpeg.onExit((exit) => {
      this.unsubscribe?.();
      this.prune();
      fn(exit);
    });
  }

  /** A new image of this worker appeared (the folder is listed at most once a second, see below). */
  lastOutputAt(): number {
    return this.lastShotAt;
  }

  /** An image is due only every interval: three missed ones (and at least the base timeout) are a stall. */
  stallTimeoutMs(base: number): number {
    return Math.max(base, 3 * this.config.intervalSeconds * 1000);
  }

  stats() {
    return { lastSnapshotAt: this.lastShotAt > 0 ? new Date(this.lastShotAt).toISOString() : null };
  }

  /** Progress blocks come every 0.5 s; the folder is listed at most once a second. */
  private pruneNowAndThen(): void {
    const now = Date.now();
    if (now - this.lastPrune < PRUNE_EVERY_MS) return;
    this.lastPrune = now;
    this.prune();
  }

  private prune(): void {
    const files = snapshotFiles(this.dir);
    this.announce(files[files.length - 1]);
    for (const old of files.slice(0, Math.max(0, files.length - this.config.keep))) fs.rmSync(path.join(this.dir, old), { force: true });
  }

  /**
   * Names start with this worker's start time, so only files it wrote since the last look count
   * as new: each is announced as snapshot.updated and moves the stall watch on.
   */
  private announce(newest: string | undefined): void {
    if (!newest || newest === this.announced || !newest.startsWith(this.filePrefix)) return;
    this.announced = newest;
    let taken: Date;
    try {
      taken = fs.statSync(path.join(this.dir, newest)).mtime;
    } catch {
      return; // pruned or replaced meanwhile
    }
    this.lastShotAt = taken.getTime();
    const { domain, appName, streamName } = this.source.key;
    this.events?.emit(domain, "snapshot.updated", { appName, streamName, takenAt: taken.toISOString() });
  }
}
