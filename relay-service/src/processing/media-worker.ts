import type { ProcessingKind, RecorderStats, SnapshotterStats, TranscoderStats } from "@liverelay/api";
import type { FfmpegExit } from "../supervisor/ffmpeg-subscriber";

export type MediaWorkerKind = ProcessingKind;
export type MediaWorkerStats = TranscoderStats | SnapshotterStats | RecorderStats;

/** No output for this long (and more for slow snapshots, see `stallTimeoutMs`) → killed and restarted. */
export const DEFAULT_STALL_TIMEOUT_MS = 10_000;

/**
 * One processing job on one live stream, run by the MediaSupervisor: it subscribes to its
 * source when started and reports exactly one exit, after it has tidied up (a recorder has
 * indexed its files by then).
 */
export interface MediaWorker {
  readonly kind: MediaWorkerKind;
  start(): void;
  /** Stops the worker for good (config changed or deleted, service stopping, stalled); resolves on exit. */
  stop(): Promise<void>;
  onExit(fn: (exit: FfmpegExit) => void): void;
  /**
   * When the worker last showed output (a frame encoded, an image written, a file grown or
   * media muxed), ms since the epoch; 0 before the first. The supervisor's stall watch reads it.
   */
  lastOutputAt(): number;
  /** How long without output is a stall for this worker, given the service's base timeout. */
  stallTimeoutMs(base: number): number;
  /** What the worker has done so far, for the processing API. */
  stats(): MediaWorkerStats;
}
