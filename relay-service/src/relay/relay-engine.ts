import type { Subscriber } from "../hub/subscriber";
import type { FfmpegExit } from "../supervisor/ffmpeg-subscriber";

export interface RelayStats {
  bytesOut: number;
  bitrateKbps: number;
  fps: number;
  /** ms since epoch of the last time the output grew; 0 before the first byte. */
  lastProgressAt: number;
}

/** How a relay ended; a failure may name its `lastError.code` (else DestinationFailed). */
export type RelayExit = Exclude<FfmpegExit, { kind: "failed" }> | { kind: "failed"; message: string; code?: string };

/**
 * One relay of one stream to one destination. Small on purpose: an in-process copy engine
 * can replace the ffmpeg one later without the supervisor noticing.
 */
export interface RelayEngine extends Subscriber {
  start(): void;
  stop(): Promise<void>;
  stats(): RelayStats;
  onExit(fn: (exit: RelayExit) => void): void;
}

export interface RelayEngineOptions {
  templateId: string;
  destinationUrl: string;
  inputFormat: "flv" | "mpegts";
}

export type RelayEngineFactory = (opts: RelayEngineOptions) => RelayEngine;
