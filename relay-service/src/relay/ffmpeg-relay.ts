import type { ChildProcess } from "node:child_process";
import type { Writable } from "node:stream";
import { redactText } from "@liverelay/sdk";
import { spawnSupervised, terminate } from "../supervisor/child-process";
import { ffmpegOutput } from "./destination";
import { ProgressParser } from "./progress";
import type { RelayEngine, RelayEngineOptions, RelayExit, RelayStats } from "./relay-engine";

const STDERR_TAIL_BYTES = 4_096;
/** An output socket stuck for this long fails the write (µs, ffmpeg's unit). */
const OUTPUT_RW_TIMEOUT_US = 10_000_000;

export function ffmpegRelayArgs(opts: RelayEngineOptions): string[] {
  const out = ffmpegOutput(opts.destinationUrl);
  return [
    "-hide_banner", "-nostdin", "-loglevel", "warning",
    "-progress", "pipe:3", "-stats_period", "0.5",
    // The hub starts every reader with metadata and sequence headers, so little probing is
    // needed; ffmpeg's default (5 s of analysis) would delay every relay start by seconds.
    "-probesize", "32", "-analyzeduration", "0",
    "-f", opts.inputFormat, "-i", "pipe:0",
    "-map", "0", "-c", "copy",
    ...(out.format === "flv" ? ["-flvflags", "no_duration_filesize"] : []),
    "-rw_timeout", String(OUTPUT_RW_TIMEOUT_US),
    "-f", out.format, out.url,
  ];
}

/**
 * The relay as one ffmpeg process: the hub writes the stream to its stdin, ffmpeg copies it
 * to the destination, `-progress` on fd 3 gives the stats. stdin's buffer is the reader queue.
 */
export class FfmpegRelay implements RelayEngine {
  readonly name: string;
  private child?: ChildProcess;
  private stdin?: Writable;
  private exitHandlers: ((e: RelayExit) => void)[] = [];
  private stderrTail = "";
  private reason: RelayExit | undefined;
  private current: RelayStats = { bytesOut: 0, bitrateKbps: 0, fps: 0, lastProgressAt: 0 };
  private lastSample = { at: 0, bytes: 0 };
  private killing?: Promise<void>;

  constructor(
    private readonly opts: RelayEngineOptions,
    private readonly ffmpegPath = process.env.LIVERELAY_FFMPEG ?? "ffmpeg",
  ) {
    this.name = `relay ${opts.templateId}`;
  }

  start(): void {
    const child = spawnSupervised(this.ffmpegPath, ffmpegRelayArgs(this.opts), { stdio: ["pipe", "ignore", "pipe", "pipe"] });
    this.child = child;
    this.stdin = child.stdin!;
    this.stdin.on("error", () => {}); // EPIPE when ffmpeg dies first; the exit handler reports it
    child.stderr!.on("data", (d: Buffer) => {
      this.stderrTail = (this.stderrTail + d.toString()).slice(-STDERR_TAIL_BYTES);
    });
    const progress = new ProgressParser((p) => this.onProgress(p.totalSize, p.fps));
    (child.stdio[3] as NodeJS.ReadableStream).on("data", (d: Buffer) => progress.push(d));
    child.once("error", (err) => this.finish({ kind: "failed", message: `cannot start ffmpeg: ${err.message}` }));
    child.once("exit", (code, signal) => this.finish(this.reason ?? { kind: "failed", message: this.failureMessage(code, signal) }));
  }

  write(chunk: Buffer): void {
    if (this.stdin?.writable) this.stdin.write(chunk);
  }

  queuedBytes(): number {
    return this.stdin?.writableLength ?? 0;
  }

  /** The hub ends the stream or drops this reader: let ffmpeg drain, then it exits on EOF. */
  close(reason: "ended" | "overflow"): void {
    this.reason ??= reason === "ended" ? { kind: "source-ended" } : { kind: "overflow" };
    if (reason === "overflow") void this.kill();
    else this.stdin?.end();
  }

  async stop(): Promise<void> {
    this.reason ??= { kind: "stopped" };
    await this.kill();
  }

  stats(): RelayStats {
    return { ...this.current };
  }

  onExit(fn: (exit: RelayExit) => void): void {
    this.exitHandlers.push(fn);
  }

  /** Idempotent: the supervisor may ask again on every tick until the process is gone. */
  private kill(): Promise<void> {
    this.stdin?.destroy();
    return (this.killing ??= this.child ? terminate(this.child) : Promise.resolve());
  }

  private onProgress(totalSize: number, fps: number) {
    const now = Date.now();
    if (totalSize > this.current.bytesOut) this.current.lastProgressAt = now;
    if (this.lastSample.at > 0 && now > this.lastSample.at) {
      this.current.bitrateKbps = Math.round(((totalSize - this.lastSample.bytes) * 8) / (now - this.lastSample.at) * 10) / 10;
    }
    this.lastSample = { at: now, bytes: totalSize };
    this.current.bytesOut = totalSize;
    this.current.fps = fps;
  }

  private failureMessage(code: number | null, signal: NodeJS.Signals | null): string {
    const last = this.stderrTail.trim().split("\n").slice(-2).join(" | ");
    const how = signal ? `killed by ${signal}` : `exited with code ${code}`;
    return redactText(`ffmpeg ${how}${last ? `: ${last}` : ""}`);
  }

  private finish(exit: RelayExit) {
    const handlers = this.exitHandlers;
    this.exitHandlers = [];
    for (const h of handlers) h(exit);
  }
}
