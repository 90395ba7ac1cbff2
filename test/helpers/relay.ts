import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import dgram from "node:dgram";
import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { expect } from "vitest";

/** A TCP port that was free a moment ago. */
export async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const port = (server.address() as net.AddressInfo).port;
  await new Promise((r) => server.close(r));
  return port;
}

/** A UDP port that was free a moment ago (for SRT listeners). */
export async function freeUdpPort(): Promise<number> {
  const socket = dgram.createSocket("udp4");
  await new Promise<void>((r) => socket.bind(0, "127.0.0.1", r));
  const port = socket.address().port;
  await new Promise<void>((r) => socket.close(r));
  return port;
}

export async function waitFor<T>(what: string, fn: () => Promise<T | undefined | false> | T | undefined | false, timeoutMs = 15_000, everyMs = 100): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v) return v;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ""}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

export interface Proc {
  child: ChildProcess;
  exited: Promise<number | null>;
  stderr: () => string;
  kill(signal?: NodeJS.Signals): Promise<number | null>;
}

function track(child: ChildProcess): Proc {
  let err = "";
  child.stderr?.on("data", (d: Buffer) => (err = (err + d.toString()).slice(-8192)));
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  return {
    child,
    exited,
    stderr: () => err,
    async kill(signal = "SIGTERM") {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      return exited;
    },
  };
}

export const tmpDir = (prefix = "liverelay-media-") => fs.mkdtempSync(path.join(os.tmpdir(), prefix));

/** An RTMP destination: `ffmpeg -listen 1` saving what it receives to an FLV file. */
export function rtmpDestination(port: number, file: string, streamPath = "app/key"): Proc & { url: string; file: string } {
  const child = spawn("ffmpeg", ["-hide_banner", "-loglevel", "error", "-y", "-listen", "1", "-i", `rtmp://127.0.0.1:${port}/${streamPath}`, "-c", "copy", "-f", "flv", file], {
    stdio: ["ignore", "ignore", "pipe"],
  });
  return { ...track(child), url: `rtmp://127.0.0.1:${port}/${streamPath}`, file };
}

/**
 * An SRT destination: an ffmpeg listener saving what it receives to an MPEG-TS file. It exits
 * when its caller (the relay) goes away; the URL returned is what a template points at.
 */
export function srtDestination(port: number, file: string): Proc & { url: string; file: string } {
  const child = spawn("ffmpeg", ["-hide_banner", "-loglevel", "error", "-y", "-i", `srt://127.0.0.1:${port}?mode=listener`, "-map", "0", "-c", "copy", "-f", "mpegts", file], {
    stdio: ["ignore", "ignore", "pipe"],
  });
  return { ...track(child), url: `srt://127.0.0.1:${port}?streamid=dest-key&latency=200`, file };
}

/** Publishes a lavfi test pattern (H.264 + AAC, 2 s GOP) over RTMP for `seconds`. */
export function publishRtmp(url: string, opts: { seconds: number; size?: string; rate?: number } = { seconds: 6 }): Proc {
  const rate = opts.rate ?? 30;
  const child = spawn(
    "ffmpeg",
    ["-hide_banner", "-loglevel", "error", "-re",
     "-f", "lavfi", "-i", `testsrc2=size=${opts.size ?? "640x360"}:rate=${rate}`,
     "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000",
     "-t", String(opts.seconds), "-c:v", "libx264", "-preset", "ultrafast", "-tune", "zerolatency", "-g", String(rate * 2),
     "-c:a", "aac", "-b:a", "96k", "-f", "flv", url],
    { stdio: ["ignore", "ignore", "pipe"] },
  );
  return track(child);
}

/** GStreamer's rtmp2sink publishing H.264 + AAC: an independent RTMP client implementation. */
export function publishGstreamer(url: string, seconds: number): Proc {
  const frames = seconds * 30;
  const pipeline =
    `videotestsrc num-buffers=${frames} is-live=true ! video/x-raw,width=640,height=360,framerate=30/1 ! x264enc key-int-max=60 tune=zerolatency speed-preset=ultrafast ! h264parse ! queue ! flvmux name=m streamable=true ! rtmp2sink location=${url} ` +
    `audiotestsrc is-live=true num-buffers=${Math.round((seconds * 48000) / 1024)} ! audio/x-raw,rate=48000,channels=2 ! ${aacEncoder()} ! aacparse ! queue ! m.`;
  const child = spawn("gst-launch-1.0", ["-q", "-e", ...pipeline.split(" ")], { stdio: ["ignore", "ignore", "pipe"] });
  return track(child);
}

let aac: string | undefined;
function aacEncoder(): string {
  if (aac) return aac;
  for (const candidate of ["avenc_aac", "fdkaacenc", "voaacenc", "faac"]) {
    if (spawnSync("gst-inspect-1.0", [candidate]).status === 0) return (aac = candidate);
  }
  throw new Error("no GStreamer AAC encoder installed (gstreamer1.0-libav provides avenc_aac)");
}

export interface Probe {
  duration: number;
  streams: { codec_type: string; codec_name: string; width?: number; height?: number }[];
}

/** ffprobe a file; also decodes it fully (`-count_frames`) so corrupt media fails. */
export function probe(file: string): Probe {
  const res = spawnSync("ffprobe", ["-v", "error", "-count_frames", "-show_entries", "format=duration:stream=codec_type,codec_name,width,height,nb_read_frames", "-of", "json", file], { encoding: "utf8" });
  if (res.status !== 0) throw new Error(`ffprobe failed: ${res.stderr}`);
  const json = JSON.parse(res.stdout) as { format: { duration?: string }; streams: Probe["streams"] };
  return { duration: Number(json.format.duration ?? 0), streams: json.streams };
}

export const codecs = (p: Probe) => p.streams.map((s) => `${s.codec_type}:${s.codec_name}`).sort();

/** Pids of processes whose command line contains `needle`. */
export function pidsMatching(needle: string): number[] {
  const pids: number[] = [];
  for (const entry of fs.readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const cmd = fs.readFileSync(`/proc/${entry}/cmdline`, "utf8").replace(/\0/g, " ");
      if (cmd.includes(needle) && !cmd.includes("vitest")) pids.push(Number(entry));
    } catch {
      /* exited meanwhile */
    }
  }
  return pids;
}

/** Video packet timestamps of a file, in file order. */
export function videoTimestamps(file: string): number[] {
  const res = spawnSync("ffprobe", ["-v", "error", "-select_streams", "v", "-show_entries", "packet=dts", "-of", "csv=p=0", file], { encoding: "utf8" });
  if (res.status !== 0) throw new Error(res.stderr);
  // Lines look like "126000," (csv with the section's trailing separator), some blank in MPEG-TS.
  return res.stdout.split("\n").map((l) => l.replace(/,+$/, "").trim()).filter((l) => /^-?\d+$/.test(l)).map(Number);
}

/** H.264 + AAC that decodes (every frame), at least `minSeconds` long, video timestamps strictly increasing. */
export function expectDecodableMonotonic(file: string, minSeconds: number) {
  const p = probe(file);
  expect(codecs(p)).toEqual(["audio:aac", "video:h264"]);
  expect(p.duration).toBeGreaterThan(minSeconds);
  const frames = Number((p.streams.find((s) => s.codec_type === "video") as { nb_read_frames?: string }).nb_read_frames);
  expect(frames).toBeGreaterThan(minSeconds * 20);
  const ts = videoTimestamps(file);
  for (let i = 1; i < ts.length; i++) expect(ts[i]).toBeGreaterThan(ts[i - 1]);
}
