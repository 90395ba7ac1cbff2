import { spawn } from "node:child_process";
import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import type { Logger } from "pino";
import type { MediaStore, RecordingEnd, RecordingRecord } from "../store/media";
import { childEnv } from "../supervisor/child-process";

const FFPROBE_TIMEOUT_MS = 10_000;

/** Time-ordered ids: the recordings list pages with `id > cursor`, oldest first. */
export const newRecordingId = (now: Date) => `rec_${now.getTime().toString(36).padStart(9, "0")}${crypto.randomBytes(6).toString("hex")}`;

/** A file's duration in seconds by ffprobe (container header or, for fragmented mp4, its fragments); null when unreadable. */
export function probeDuration(file: string): Promise<number | null> {
  return new Promise((resolve) => {
    const child = spawn(process.env.LIVERELAY_FFPROBE ?? "ffprobe", ["-v", "error", "-show_entries", "format=duration", "-of", "csv=p=0", file], { stdio: ["ignore", "pipe", "ignore"], env: childEnv() });
    let out = "";
    const timer = setTimeout(() => child.kill("SIGKILL"), FFPROBE_TIMEOUT_MS);
    child.stdout.on("data", (d: Buffer) => (out += d.toString()));
    child.once("error", () => resolve(null));
    child.once("close", () => {
      clearTimeout(timer);
      const seconds = Number.parseFloat(out.trim());
      resolve(Number.isFinite(seconds) ? roundMs(seconds) : null);
    });
  });
}

export const roundMs = (seconds: number) => Math.round(seconds * 1000) / 1000;

export const fileBytes = (file: string): number => {
  try {
    return fs.statSync(file).size;
  } catch {
    return 0;
  }
};

/** An HLS recording: the sum of its segments' EXTINF and the bytes of its folder; null without a playlist. */
export function hlsTotals(playlist: string): { durationSeconds: number; bytes: number } | null {
  let text: string;
  try {
    text = fs.readFileSync(playlist, "utf8");
  } catch {
    return null;
  }
  const durationSeconds = [...text.matchAll(/^#EXTINF:([\d.]+)/gm)].reduce((sum, m) => sum + Number(m[1]), 0);
  const dir = path.dirname(playlist);
  const bytes = fs.readdirSync(dir).reduce((sum, f) => sum + fileBytes(path.join(dir, f)), 0);
  return { durationSeconds: roundMs(durationSeconds), bytes };
}

/** The files of a recording: an hls recording owns its folder, an mp4/flv recording its one file. */
export function removeRecordingFiles(root: string, r: Pick<RecordingRecord, "format" | "path">): void {
  const file = path.join(root, r.path);
  fs.rmSync(r.format === "hls" ? path.dirname(file) : file, { recursive: true, force: true });
}

/**
 * How a recording ended, read from its files: what the recorder does when ffmpeg exits without
 * closing the last segment (killed), and what start-up does for recordings a crash left open.
 * null: nothing playable was written.
 */
export async function endFromFiles(root: string, r: RecordingRecord): Promise<RecordingEnd | null> {
  const file = path.join(root, r.path);
  if (r.format === "hls") {
    const totals = hlsTotals(file);
    return totals && totals.durationSeconds > 0 ? { endedAt: modifiedAt(file), ...totals } : null;
  }
  if (fileBytes(file) === 0) return null;
  const endedAt = modifiedAt(file);
  if (r.format === "mp4" && !dropPartialFragment(file)) return null;
  const bytes = fileBytes(file);
  return bytes > 0 ? { endedAt, durationSeconds: await probeDuration(file), bytes } : null;
}

/**
 * A fragmented mp4 cut off mid-write ends in a partial box: it is truncated after the last
 * complete `mdat`, so the file ends on a whole fragment and decodes without error. False when
 * not one fragment is complete (nothing playable).
 */
export function dropPartialFragment(file: string): boolean {
  const fd = fs.openSync(file, "r+");
  try {
    const size = fs.fstatSync(fd).size;
    const header = Buffer.alloc(16);
    let at = 0;
    let keep = 0;
    while (at + 8 <= size) {
      fs.readSync(fd, header, 0, 16, at);
      const small = header.readUInt32BE(0);
      const boxBytes = small === 1 ? Number(header.readBigUInt64BE(8)) : small === 0 ? size - at : small;
      if (boxBytes < 8 || at + boxBytes > size) break;
      at += boxBytes;
      if (header.toString("latin1", 4, 8) === "mdat") keep = at;
    }
    if (keep > 0 && keep < size) fs.ftruncateSync(fd, keep);
    return keep > 0;
  } finally {
    fs.closeSync(fd);
  }
}

const modifiedAt = (file: string) => {
  try {
    return fs.statSync(file).mtime.toISOString();
  } catch {
    return new Date().toISOString();
  }
};

/** Closes what a crash left open: each recording gets its end from its files, or goes when nothing was written. */
export async function recoverRecordings(store: MediaStore, root: string, open: RecordingRecord[], logger: Logger): Promise<void> {
  for (const r of open) {
    const end = await endFromFiles(root, r);
    if (end) await store.finishRecording(r.id, end);
    else {
      await store.deleteRecording(r.domain, r.id);
      removeRecordingFiles(root, r);
    }
    logger.info({ recordingId: r.id, kept: end !== null }, "recording left open by a previous run closed");
  }
}
