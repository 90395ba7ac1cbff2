import { execFile, spawn, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import pino from "pino";
import {
  SrtServer,
  type SrtAcceptDecision,
  type SrtCallerInfo,
  type SrtCloseReason,
  type SrtConnection,
} from "../../relay-service/src/srt";

const execFileAsync = promisify(execFile);

/** Real SRT callers (ffmpeg, srt-live-transmit, GStreamer) and a recording SrtServer for tests. */

export function makeTmpDir(prefix: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), `liverelay-${prefix}-`));
}

/** Pre-encodes an H.264 (+ AAC with `audio`) MPEG-TS test clip at a near-constant bitrate (for `-c copy` publishers). */
export async function makeTestTs(file: string, seconds: number, kbps = 2000, opts: { audio?: boolean } = {}): Promise<string> {
  if (fs.existsSync(file)) return file;
  const audio = opts.audio ? ["-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000"] : [];
  const audioCodec = opts.audio ? ["-c:a", "aac", "-b:a", "96k"] : [];
  await execFileAsync("ffmpeg", [
    "-hide_banner", "-loglevel", "error", "-y",
    "-f", "lavfi", "-i", "testsrc2=size=640x360:rate=30", ...audio,
    "-t", String(seconds), ...audioCodec,
    // nal-hrd=cbr pads with filler so the clip really has the requested bitrate.
    "-c:v", "libx264", "-preset", "veryfast", "-g", "60", "-x264-params", "nal-hrd=cbr",
    "-b:v", `${kbps}k`, "-minrate", `${kbps}k`, "-maxrate", `${kbps}k`, "-bufsize", `${kbps}k`,
    "-f", "mpegts", file,
  ]);
  return file;
}

export interface Publisher {
  readonly name: string;
  readonly proc: ChildProcess;
  /** Resolves when the (last) process of the publisher exits. */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  stderr(): string;
  kill(signal?: NodeJS.Signals): void;
}

function track(name: string, proc: ChildProcess, extra: ChildProcess[] = []): Publisher {
  let err = "";
  proc.stderr?.on("data", (d: Buffer) => {
    if (err.length < 64_000) err += d.toString();
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    proc.once("exit", (code, signal) => resolve({ code, signal })),
  );
  return {
    name,
    proc,
    exited,
    stderr: () => err,
    kill: (signal = "SIGTERM") => {
      for (const p of [proc, ...extra]) if (p.exitCode === null && p.signalCode === null) p.kill(signal);
    },
  };
}

export interface FfmpegPublishOptions {
  port: number;
  streamId: string;
  /** Pre-encoded .ts sent with `-re -c copy`; default: live-encoded testsrc2 via libx264. */
  file?: string;
  seconds?: number;
  passphrase?: string;
  /** Put the stream id in the URL query (the common way) instead of the -srt_streamid option. */
  streamIdInUrl?: boolean;
}

export function spawnFfmpegPublisher(o: FfmpegPublishOptions): Publisher {
  const input = o.file
    ? ["-re", "-i", o.file, "-c", "copy"]
    : ["-re", "-f", "lavfi", "-i", "testsrc2=size=640x360:rate=30", "-c:v", "libx264", "-preset", "veryfast", "-g", "60"];
  const duration = o.seconds !== undefined ? ["-t", String(o.seconds)] : [];
  const sid = o.streamIdInUrl ? [] : ["-srt_streamid", o.streamId];
  const pass = o.passphrase !== undefined ? ["-passphrase", o.passphrase] : [];
  const url = `srt://127.0.0.1:${o.port}` + (o.streamIdInUrl ? `?streamid=${o.streamId}` : "");
  const args = ["-hide_banner", "-loglevel", "error", "-nostdin", ...input, ...duration, ...sid, ...pass, "-f", "mpegts", url];
  return track("ffmpeg", spawn("ffmpeg", args, { stdio: ["ignore", "ignore", "pipe"] }));
}

/**
 * srt-live-transmit reading MPEG-TS from stdin, paced by `ffmpeg -re` writing to the pipe.
 * srt-live-transmit does not exit at stdin EOF, so it is sent SIGTERM (a clean SRT
 * shutdown) one second after the feeder finished; `exited` follows that.
 */
export function spawnSrtLiveTransmitPublisher(o: { port: number; streamId: string; file: string }): Publisher {
  const feeder = spawn("ffmpeg", ["-hide_banner", "-loglevel", "error", "-nostdin", "-re", "-i", o.file, "-c", "copy", "-f", "mpegts", "pipe:1"], {
    stdio: ["ignore", "pipe", "ignore"],
  });
  const slt = spawn("srt-live-transmit", ["-a:no", "-chunk:1316", "file://con", `srt://127.0.0.1:${o.port}?streamid=${o.streamId}`], {
    stdio: ["pipe", "ignore", "pipe"],
  });
  feeder.stdout.pipe(slt.stdin);
  slt.stdin.on("error", () => {}); // EPIPE if srt-live-transmit died first
  feeder.once("exit", () => setTimeout(() => slt.kill("SIGTERM"), 1000));
  return track("srt-live-transmit", slt, [feeder]);
}

/** GStreamer srtsink, paced by tsparse timestamps + sink sync. */
export function spawnGstPublisher(o: { port: number; streamId: string; file: string }): Publisher {
  // gst-launch parses its argv as one pipeline description: quote the stream id ("!" links elements).
  const args = [
    "-q", "filesrc", `location=${o.file}`, "!", "tsparse", "set-timestamps=true", "!",
    "srtsink", `uri=srt://127.0.0.1:${o.port}`, `streamid="${o.streamId}"`, "sync=true", "auto-reconnect=false",
  ];
  return track("gstreamer", spawn("gst-launch-1.0", args, { stdio: ["ignore", "ignore", "pipe"] }));
}

/**
 * srt-live-transmit as an SRT listener destination (one caller, `-a:no`: it exits when that
 * caller's connection ends), writing what it receives to `file`.
 */
export function spawnSrtLiveTransmitListener(o: { port: number; file: string; passphrase?: string; pbkeylen?: number }): Publisher {
  const query = ["mode=listener", ...(o.passphrase ? [`passphrase=${o.passphrase}`] : []), ...(o.pbkeylen ? [`pbkeylen=${o.pbkeylen}`] : [])];
  const out = fs.openSync(o.file, "w");
  const slt = spawn("srt-live-transmit", ["-a:no", "-q", `srt://127.0.0.1:${o.port}?${query.join("&")}`, "file://con"], { stdio: ["ignore", out, "pipe"] });
  fs.closeSync(out);
  return track("srt-live-transmit listener", slt);
}

/** Video packet decode timestamps of a file, in order (ffprobe, no decoding). */
export async function videoDts(file: string): Promise<number[]> {
  const { stdout } = await execFileAsync("ffprobe", ["-v", "error", "-select_streams", "v:0", "-show_entries", "packet=dts", "-of", "csv=p=0", file], { maxBuffer: 16 << 20 });
  // Lines look like "126000," (csv with the section's trailing separator), blank lines between.
  return stdout.split("\n").map((l) => l.replace(/,+$/, "").trim()).filter((l) => /^-?\d+$/.test(l)).map(Number);
}

export interface ProbeResult {
  codec: string | undefined;
  framesDecoded: number;
}

/** Decodes the first video stream of a file: codec name and how many frames actually decoded. */
export async function probeVideo(file: string): Promise<ProbeResult> {
  const { stdout } = await execFileAsync("ffprobe", [
    "-v", "error", "-select_streams", "v:0", "-count_frames",
    "-show_entries", "stream=codec_name,nb_read_frames", "-of", "json", file,
  ]);
  const stream = (JSON.parse(stdout) as { streams?: { codec_name?: string; nb_read_frames?: string }[] }).streams?.[0];
  return { codec: stream?.codec_name, framesDecoded: Number(stream?.nb_read_frames ?? 0) };
}

export interface RecordedConnection {
  conn: SrtConnection;
  bytes: number;
  file?: string;
  closed?: { reason: SrtCloseReason; at: number };
  /** Resolves once "close" fired and the recording file is flushed. */
  done: Promise<void>;
}

export type Policy = (caller: SrtCallerInfo) => SrtAcceptDecision;

/** An SrtServer on 127.0.0.1:ephemeral that records every connection (to files when `dir` is set). */
export class IngestHarness {
  readonly server: SrtServer;
  readonly connections: RecordedConnection[] = [];
  readonly authorizeCalls: SrtCallerInfo[] = [];
  /** Every log line the server wrote (JSON, debug level and up). */
  readonly logs: string[] = [];

  constructor(
    public policy: Policy,
    private readonly dir?: string,
  ) {
    this.server = new SrtServer({
      host: "127.0.0.1",
      port: 0,
      logger: pino({ level: "debug" }, { write: (line: string) => void this.logs.push(line) }),
      authorize: (caller) => {
        this.authorizeCalls.push(caller);
        return this.policy(caller);
      },
      onConnection: (conn) => this.record(conn),
    });
  }

  static async start(policy: Policy, dir?: string): Promise<IngestHarness> {
    const h = new IngestHarness(policy, dir);
    await h.server.listen();
    return h;
  }

  get port(): number {
    return this.server.port;
  }

  byStreamId(streamId: string): RecordedConnection | undefined {
    return this.connections.find((c) => c.conn.streamId === streamId);
  }

  private record(conn: SrtConnection): void {
    const file = this.dir ? path.join(this.dir, `conn-${conn.id}.ts`) : undefined;
    const out = file ? fs.createWriteStream(file) : undefined;
    const rec = { conn, bytes: 0, file } as RecordedConnection;
    rec.done = new Promise<void>((resolve) => {
      conn.on("close", (reason) => {
        rec.closed = { reason, at: Date.now() };
        if (out) out.end(resolve);
        else resolve();
      });
    });
    conn.on("data", (chunk) => {
      rec.bytes += chunk.length;
      out?.write(chunk);
    });
    this.connections.push(rec);
  }
}

/** Polls `cond` every 50 ms; rejects with `what` after `timeoutMs`. */
export async function waitFor(cond: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Accept publishers whose stream id parses; everything else is a BadRequest. */
export function acceptParsedPublishers(parse: (raw: string) => { mode: string } | null): Policy {
  return ({ streamId }) => (parse(streamId)?.mode === "publish" ? { accept: true } : { accept: false, reason: "BadRequest" });
}
