import fs from "node:fs";
import path from "node:path";
import type { Logger } from "pino";

/** Owner-only: the data dir holds stream keys, ingest keys, SRT passphrases and the API token. */
export const PRIVATE_DIR_MODE = 0o700;
export const PRIVATE_FILE_MODE = 0o600;
/** What the service created before it tightened its modes (older versions): tightened at start. */
const KNOWN_ENTRIES = ["liverelay.db", "liverelay.db-wal", "liverelay.db-shm", "api-token", "recordings", "snapshots"];

/**
 * Makes the data dir private before anything is written into it. The umask covers every file
 * and directory created afterwards, by the service and by its ffmpeg workers (recordings,
 * snapshots, SQLite's -wal and -shm), so no path depends on remembering a mode argument.
 */
export function prepareDataDir(dataDir: string, logger: Logger): void {
  process.umask(0o077);
  fs.mkdirSync(dataDir, { recursive: true, mode: PRIVATE_DIR_MODE });
  tighten(dataDir, PRIVATE_DIR_MODE, logger);
  for (const name of KNOWN_ENTRIES) {
    const entry = path.join(dataDir, name);
    let stat: fs.Stats;
    try {
      stat = fs.statSync(entry);
    } catch {
      continue;
    }
    tighten(entry, stat.isDirectory() ? PRIVATE_DIR_MODE : PRIVATE_FILE_MODE, logger);
  }
}

/** A path open to group or others is narrowed to `mode`, with a warning that says so. */
function tighten(file: string, mode: number, logger: Logger): void {
  const current = fs.statSync(file).mode & 0o777;
  if ((current & 0o077) === 0) return;
  fs.chmodSync(file, mode);
  logger.warn({ path: file, was: current.toString(8), now: mode.toString(8) }, "data dir entry was readable by other users; narrowed to its owner");
}
