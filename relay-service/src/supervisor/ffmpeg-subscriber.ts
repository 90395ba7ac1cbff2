import type { ChildProcess } from "node:child_process";
import type { Writable } from "node:stream";
import { redactText } from "@liverelay/api";
import type { Subscriber } from "../hub/subscriber";
import { ProgressParser, type FfmpegProgress } from "./ffmpeg-progress";
import { spawnSupervised, terminate } from "./child-process";
import { spawnQueue } from "./paced-queue";

const STDERR_TAIL_BYTES = 4_096;

/** How an ffmpeg worker ended: its source ended, the hub dropped it, it was stopped, or it failed. */
export type FfmpegExit = { kind: "source-ended" } | { kind: "overflow" } | { kind: "stopped" } | { kind: "failed"; message: string };

export interface FfmpegSubscriberOptions {
  /** The reader's name in the hub (logs, overflow events). */
  name: string;
  /** ffmpeg's arguments after the common ones (banner, stdin, log level, progress). */
  args: string[];
  /** ffmpeg's stdout (a transcoder's output, a segment list); ignored when absent. */
  onStdout?: (chunk: Buffer) => void;
  /** `-progress` blocks (every 0.5 s) on fd 3; not requested when absent. */
  onProgress?: (p: FfmpegProgress) => void;
  ffmpegPath?: string;
}

/**
 * One ffmpeg fed from a hub subscription: the hub writes the stream to its stdin (stdin's
 * buffer is the reader's bounded queue), EOF when the stream ends, a kill when the hub drops
 * it. Shared by relays, transcoders, snapshotters and recorders.
 */
export class FfmpegSubscriber implements Subscriber {
  readonly name: string;
  private child?: ChildProcess;
  private stdin?: Writable;
  private exitHandlers: ((e: FfmpegExit) => void)[] = [];
  private stderrTail = "";
  private reason: FfmpegExit | undefined;
  private killing?: Promise<void>;
  /** Set while the spawn waits in the queue; the stream that arrives meanwhile is held (and counted). */
  private cancelSpawn?: () => void;
  private early: Buffer[] = [];
  private earlyBytes = 0;

  constructor(private readonly opts: FfmpegSubscriberOptions) {
    this.name = opts.name;
  }

  /** Queues the spawn (see SpawnQueue); the worker counts as started from now on. */
  start(): void {
    this.cancelSpawn = spawnQueue.enqueue(() => {
      this.cancelSpawn = undefined;
      this.spawn();
    });
  }

  private spawn(): void {
    const { onStdout, onProgress } = this.opts;
    const progressArgs = onProgress ? ["-progress", "pipe:3", "-stats_period", "0.5"] : [];
    const args = ["-hide_banner", "-nostdin", "-loglevel", "warning", ...progressArgs, ...this.opts.args];
    const child = spawnSupervised(this.opts.ffmpegPath ?? process.env.LIVERELAY_FFMPEG ?? "ffmpeg", args, {
      stdio: ["pipe", onStdout ? "pipe" : "ignore", "pipe", onProgress ? "pipe" : "ignore"],
    });
    this.child = child;
    this.stdin = child.stdin!;
    this.stdin.on("error", () => {}); // EPIPE when ffmpeg dies first; the exit handler reports it
    child.stderr!.on("data", (d: Buffer) => {
      this.stderrTail = (this.stderrTail + d.toString()).slice(-STDERR_TAIL_BYTES);
    });
    if (onStdout) child.stdout!.on("data", onStdout);
    if (onProgress) {
      const progress = new ProgressParser(onProgress);
      (child.stdio[3] as NodeJS.ReadableStream).on("data", (d: Buffer) => progress.push(d));
    }
    child.once("error", (err) => this.finish({ kind: "failed", message: `cannot start ffmpeg: ${err.message}` }));
    // "close", not "exit": stdout is read to its end before the worker counts as finished.
    child.once("close", (code, signal) => this.finish(this.reason ?? { kind: "failed", message: this.failureMessage(code, signal) }));
    for (const chunk of this.early) this.stdin.write(chunk);
    this.early = [];
    this.earlyBytes = 0;
  }

  /** Not spawned yet: drop the queued spawn and end now. True when that was the case. */
  private endBeforeSpawn(): boolean {
    if (!this.cancelSpawn) return false;
    this.cancelSpawn();
    this.cancelSpawn = undefined;
    this.early = [];
    this.earlyBytes = 0;
    const exit = this.reason!;
    queueMicrotask(() => this.finish(exit));
    return true;
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  write(chunk: Buffer): void {
    if (this.cancelSpawn) {
      this.early.push(chunk);
      this.earlyBytes += chunk.length;
    } else if (this.stdin?.writable) this.stdin.write(chunk);
  }

  queuedBytes(): number {
    return this.earlyBytes + (this.stdin?.writableLength ?? 0);
  }

  /** The hub ends the stream or drops this reader: on EOF ffmpeg drains, finalises its output and exits. */
  close(reason: "ended" | "overflow"): void {
    this.reason ??= reason === "ended" ? { kind: "source-ended" } : { kind: "overflow" };
    if (this.endBeforeSpawn()) return;
    if (reason === "overflow") void this.kill();
    else this.stdin?.end();
  }

  /** SIGTERM (ffmpeg then writes its trailers), SIGKILL after a grace period. */
  async stop(): Promise<void> {
    this.reason ??= { kind: "stopped" };
    if (this.endBeforeSpawn()) return;
    await this.kill();
  }

  onExit(fn: (exit: FfmpegExit) => void): void {
    this.exitHandlers.push(fn);
  }

  /** Idempotent: a supervisor may ask again on every tick until the process is gone. */
  private kill(): Promise<void> {
    this.stdin?.destroy();
    return (this.killing ??= this.child ? terminate(this.child) : Promise.resolve());
  }

  private failureMessage(code: number | null, signal: NodeJS.Signals | null): string {
    const last = this.stderrTail.trim().split("\n").slice(-2).join(" | ");
    const how = signal ? `killed by ${signal}` : `exited with code ${code}`;
    return redactText(`ffmpeg ${how}${last ? `: ${last}` : ""}`);
  }

  private finish(exit: FfmpegExit) {
    const handlers = this.exitHandlers;
    this.exitHandlers = [];
    for (const h of handlers) h(exit);
  }
}
