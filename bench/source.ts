import { spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";

/**
 * The benchmarks' source: 20 s of 720p30 H.264 (2 s GOP, no scene-cut keyframes) + AAC, encoded
 * once per variant and kept in ~/.cache (encoding 720p on 2 busy cores takes a minute).
 * `cbr` pads with filler so the bitrate stays real on an easy test pattern (SRT ingest cost per Mbit/s).
 */
export function benchSource(opts: { container: "flv" | "mpegts"; videoKbps?: number; cbr?: boolean }): string {
  const kbps = opts.videoKbps ?? 2500;
  const dir = path.join(os.homedir(), ".cache", "liverelay-bench");
  fs.mkdirSync(dir, { recursive: true });
  const name = opts.container === "flv" ? `source-720p30-${kbps}k-v1.flv` : `source-720p30-${kbps}k${opts.cbr ? "-cbr" : ""}-v1.ts`;
  const file = path.join(dir, name);
  if (fs.existsSync(file)) return file;
  const rate = `${kbps}k`;
  const args = [
    "-hide_banner", "-loglevel", "error", "-y",
    "-f", "lavfi", "-i", "testsrc2=size=1280x720:rate=30", "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000",
    "-t", "20", "-c:v", "libx264", "-preset", "veryfast", "-b:v", rate, "-maxrate", rate, "-bufsize", `${kbps * 2}k`,
    "-g", "60", "-keyint_min", "60", "-sc_threshold", "0",
    ...(opts.cbr ? ["-x264-params", "nal-hrd=cbr"] : []),
    "-c:a", "aac", "-b:a", "128k", "-f", opts.container, `${file}.tmp`,
  ];
  if (spawnSync("ffmpeg", args, { stdio: "inherit" }).status !== 0) throw new Error("could not encode the benchmark source");
  fs.renameSync(`${file}.tmp`, file);
  return file;
}
