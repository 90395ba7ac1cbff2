import { FfmpegSubscriber } from "../supervisor/ffmpeg-subscriber";
import { OutputStats } from "../supervisor/output-stats";
import { ffmpegOutput } from "./destination";
import type { RelayEngine, RelayEngineOptions, RelayExit, RelayStats } from "./relay-engine";

/** An output socket stuck for this long fails the write (µs, ffmpeg's unit). */
const OUTPUT_RW_TIMEOUT_US = 10_000_000;

/**
 * How much input ffmpeg reads before it starts: as little as the format allows, since it
 * delays every relay start (ffmpeg's default is up to 5 s of analysis).
 */
const INPUT_PROBING: Record<RelayEngineOptions["inputFormat"], string[]> = {
  // The hub starts every FLV reader with metadata and sequence headers: nothing to look for.
  flv: ["-probesize", "32", "-analyzeduration", "0"],
  // MPEG-TS carries codec parameters in-band (SPS in the keyframe the hub starts the reader
  // at, the ADTS header of the first audio frame, whose PES may come ~250 ms later), and since
  // a stream may appear at any time ffmpeg always reads the whole analyzeduration of media:
  // 1 s, most of which the cached GOP usually covers at once. A copy needs no frame-rate
  // estimate (-fpsprobesize 0), which would otherwise wait for ~20 frames.
  mpegts: ["-probesize", "2000000", "-analyzeduration", "1000000", "-fpsprobesize", "0"],
};

/** ffmpeg's arguments after the common ones (see FfmpegSubscriber). */
export function ffmpegRelayArgs(opts: RelayEngineOptions): string[] {
  const out = ffmpegOutput(opts.destinationUrl);
  return [
    ...INPUT_PROBING[opts.inputFormat],
    "-f", opts.inputFormat, "-i", "pipe:0",
    "-map", "0", "-c", "copy",
    ...(out.format === "flv" ? ["-flvflags", "no_duration_filesize"] : []),
    "-rw_timeout", String(OUTPUT_RW_TIMEOUT_US),
    "-f", out.format, out.url,
  ];
}

/**
 * The relay as one ffmpeg process fed from the hub (FfmpegSubscriber): ffmpeg copies the
 * stream to the destination, `-progress` gives the stats.
 */
export class FfmpegRelay implements RelayEngine {
  readonly name: string;
  private readonly worker: FfmpegSubscriber;
  private readonly output = new OutputStats();

  constructor(opts: RelayEngineOptions, ffmpegPath?: string) {
    this.name = `relay ${opts.templateId}`;
    this.worker = new FfmpegSubscriber({
      name: this.name,
      args: ffmpegRelayArgs(opts),
      onProgress: (p) => this.output.update(p.totalSize, p.fps),
      ffmpegPath,
    });
  }

  start(): void {
    this.worker.start();
  }

  write(chunk: Buffer): void {
    this.worker.write(chunk);
  }

  queuedBytes(): number {
    return this.worker.queuedBytes();
  }

  close(reason: "ended" | "overflow"): void {
    this.worker.close(reason);
  }

  stop(): Promise<void> {
    return this.worker.stop();
  }

  stats(): RelayStats {
    const out = this.output.snapshot();
    return { ...out, mediaOut: out.bytesOut > 0 }; // ffmpeg writes its header only once it has a frame to mux
  }

  onExit(fn: (exit: RelayExit) => void): void {
    this.worker.onExit(fn);
  }
}
