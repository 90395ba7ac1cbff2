import type { Subscriber } from "../hub/subscriber";

export interface RelayStats {
  bytesOut: number;
  bitrateKbps: number;
  fps: number;
  /** ms since epoch of the last time the output grew; 0 before the first byte. */
  lastProgressAt: number;
  /** A frame (not just headers) has left the process: the relay counts as `relaying`. */
  mediaOut: boolean;
}

/** How a relay ended; a failure may name its cause (`lastError.code`), else it is DestinationFailed. */
export type RelayExit = { kind: "source-ended" } | { kind: "overflow" } | { kind: "stopped" } | { kind: "failed"; message: string; code?: string };

/**
 * One relay of one stream to one destination: the in-process RTMP push (RtmpPushRelay) or
 * one ffmpeg (FfmpegRelay). Small on purpose, so the supervisor does not know which.
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
