// Helpers for tests that drive real media tools (ffmpeg, ffprobe, GStreamer)
// against the relay. Every spawned process is tracked so a test can kill
// whatever it left running with `killAllSpawned()` in afterEach.
import { ChildProcess, spawn, spawnSync } from "node:child_process";
import { appendFileSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import type { RtmpPublishSink } from "../../relay-service/src/rtmp/server";
import { flvFileHeader, flvTag } from "../../relay-service/src/media/flv";

// ---- processes -------------------------------------------------------------

export interface ProcessResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface RunningProcess {
  child: ChildProcess;
  /** Resolves when the process exits (never rejects; spawn errors become code -1). */
  exited: Promise<ProcessResult>;
}

const spawned = new Set<ChildProcess>();

/** Starts a process, collecting stdout/stderr (capped at 1 MiB each). */
export function startProcess(command: string, args: string[]): RunningProcess {
  const child = spawn(command, args, { stdio: ["ignore", "pipe", "pipe"] });
  spawned.add(child);
  const out = { stdout: "", stderr: "" };
  child.stdout!.on("data", (d: Buffer) => (out.stdout = (out.stdout + d.toString()).slice(-1 << 20)));
  child.stderr!.on("data", (d: Buffer) => (out.stderr = (out.stderr + d.toString()).slice(-1 << 20)));
  const exited = new Promise<ProcessResult>((resolve) => {
    child.on("error", (err) => resolve({ code: -1, signal: null, stdout: out.stdout, stderr: String(err) }));
    child.on("close", (code, signal) => {
      spawned.delete(child);
      resolve({ code, signal, ...out });
    });
  });
  return { child, exited };
}

/** Runs a process to completion; kills it (SIGKILL) after `timeoutMs`. */
export async function runProcess(command: string, args: string[], timeoutMs = 60_000): Promise<ProcessResult> {
  const proc = startProcess(command, args);
  const timer = setTimeout(() => proc.child.kill("SIGKILL"), timeoutMs);
  try {
    return await proc.exited;
  } finally {
    clearTimeout(timer);
  }
}

/** SIGKILLs every process started through these helpers that is still running. */
export function killAllSpawned(): void {
  for (const child of spawned) child.kill("SIGKILL"); // also ends SIGSTOPped children
}

// ---- publishers --------------------------------------------------------------

export interface FfmpegPublishOptions {
  /** Seconds of media to send (default 4). */
  durationSec?: number;
  /** testsrc2 size (default 640x360). */
  size?: string;
  /** Frames per second (default 30). */
  rate?: number;
  /** GOP length in frames (default 2 s worth). */
  gop?: number;
  /** Pace the input in real time like a live encoder (default true). */
  realtime?: boolean;
}

/** Publishes synthetic H.264 + AAC (testsrc2 + sine) to `url` with ffmpeg. */
export function startFfmpegPublisher(url: string, opts: FfmpegPublishOptions = {}): RunningProcess {
  const rate = opts.rate ?? 30;
  const args = ["-hide_banner", "-nostdin", "-loglevel", "warning"];
  if (opts.realtime ?? true) args.push("-re");
  args.push(
    "-f", "lavfi", "-i", `testsrc2=size=${opts.size ?? "640x360"}:rate=${rate}`,
    "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=44100",
    "-c:v", "libx264", "-preset", "ultrafast", "-g", String(opts.gop ?? rate * 2),
    "-c:a", "aac", "-t", String(opts.durationSec ?? 4),
    "-f", "flv", url,
  );
  return startProcess("ffmpeg", args);
}

/**
 * First AAC encoder GStreamer has on this machine (plugin sets differ between
 * distros). voaacenc comes first: with avenc_aac, flvmux writes the odd audio
 * tag with a repeated timestamp, which ffmpeg then reports while decoding.
 */
export function gstAacEncoder(): string {
  for (const name of ["voaacenc", "fdkaacenc", "avenc_aac", "faac"]) {
    if (spawnSync("gst-inspect-1.0", ["--exists", name]).status === 0) return name;
  }
  throw new Error("no GStreamer AAC encoder installed");
}

export interface GstPublishOptions {
  /** Video frames at 30 fps (default 120 = 4 s). */
  videoFrames?: number;
}

/** Publishes H.264 + AAC with GStreamer's rtmp2sink through flvmux. */
export function startGstPublisher(url: string, opts: GstPublishOptions = {}): RunningProcess {
  const frames = opts.videoFrames ?? 120;
  const audioBuffers = Math.ceil(((frames / 30) * 44100) / 1024);
  const pipeline = [
    "videotestsrc", "is-live=true", `num-buffers=${frames}`, "!", "video/x-raw,framerate=30/1,width=320,height=240", "!",
    "x264enc", "key-int-max=60", "tune=zerolatency", "!", "h264parse", "!",
    "flvmux", "name=m", "streamable=true", "!", "rtmp2sink", `location=${url}`,
    "audiotestsrc", "is-live=true", `num-buffers=${audioBuffers}`, "samplesperbuffer=1024", "!",
    "audio/x-raw,rate=44100,channels=2", "!", gstAacEncoder(), "!", "aacparse", "!", "m.",
  ];
  return startProcess("gst-launch-1.0", ["-q", ...pipeline]);
}

// ---- probing -------------------------------------------------------------------

export interface ProbeStream {
  index: number;
  codec_type: string;
  codec_name?: string;
  width?: number;
  height?: number;
  sample_rate?: string;
  channels?: number;
  nb_read_frames?: string;
}

export interface ProbeResult {
  streams: ProbeStream[];
  format: { duration?: string; format_name?: string };
}

/** ffprobe a file, decoding every frame (-count_frames) so undecodable data shows up. */
export async function probeMediaFile(file: string): Promise<ProbeResult> {
  const result = await runProcess("ffprobe", [
    "-v", "error", "-count_frames", "-show_streams", "-show_format", "-of", "json", file,
  ]);
  if (result.code !== 0) throw new Error(`ffprobe failed (${result.code}): ${result.stderr}`);
  return JSON.parse(result.stdout) as ProbeResult;
}

/**
 * Decodes the whole file with ffmpeg and returns its error output ("" = clean
 * decode). Pass `ignore` to drop known, harmless lines (e.g. a publisher's
 * repeated timestamps, which the null muxer complains about).
 */
export async function decodeErrors(file: string, ignore?: RegExp): Promise<string> {
  const result = await runProcess("ffmpeg", ["-v", "error", "-nostdin", "-i", file, "-f", "null", "-"]);
  if (result.code !== 0) return `exit ${result.code}: ${result.stderr}`;
  return result.stderr
    .split("\n")
    .filter((line) => line.trim() !== "" && !(ignore && ignore.test(line)))
    .join("\n");
}

export function streamOfType(probe: ProbeResult, type: "video" | "audio"): ProbeStream | undefined {
  return probe.streams.find((s) => s.codec_type === type);
}

// ---- waiting -------------------------------------------------------------------

/** Polls `predicate` until it returns something truthy, and returns that; throws after `timeoutMs`. */
export async function waitFor<T>(
  predicate: () => T | Promise<T>,
  { timeoutMs = 10_000, intervalMs = 25, what = "condition" } = {},
): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await predicate();
    if (value) return value as NonNullable<T>;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

// ---- temp files and sinks ------------------------------------------------------------

/** A fresh temp directory and a function that removes it. */
export function makeTempDir(prefix = "liverelay-test-"): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(path.join(tmpdir(), prefix));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/**
 * An RtmpPublishSink that writes everything it gets into an .flv file
 * (flvFileHeader + flvTag per tag) and records tag counts and end reasons.
 */
export class FlvFileSink implements RtmpPublishSink {
  readonly tagCounts: Record<8 | 9 | 18, number> = { 8: 0, 9: 0, 18: 0 };
  readonly endReasons: string[] = [];
  readonly tags: { type: 8 | 9 | 18; timestamp: number; payload: Buffer }[] = [];

  constructor(readonly file: string, private readonly keepTags = false) {
    writeFileSync(file, flvFileHeader({ audio: true, video: true }));
  }

  onTag(type: 8 | 9 | 18, timestamp: number, payload: Buffer): void {
    this.tagCounts[type] += 1;
    if (this.keepTags) this.tags.push({ type, timestamp, payload });
    appendFileSync(this.file, flvTag(type, timestamp, payload));
  }

  onEnd(reason: string): void {
    this.endReasons.push(reason);
  }
}
