import type { FfmpegExit } from "../supervisor/ffmpeg-subscriber";

export type MediaWorkerKind = "transcoder" | "snapshotter" | "recorder";

/**
 * One processing job on one live stream, run by the MediaSupervisor: it subscribes to its
 * source when started and reports exactly one exit, after it has tidied up (a recorder has
 * indexed its files by then).
 */
export interface MediaWorker {
  readonly kind: MediaWorkerKind;
  start(): void;
  /** Stops the worker for good (config changed or deleted, service stopping); resolves on exit. */
  stop(): Promise<void>;
  onExit(fn: (exit: FfmpegExit) => void): void;
}
