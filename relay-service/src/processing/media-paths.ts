import path from "node:path";
import type { StreamKey } from "../hub/live-stream";

/**
 * Where processing writes, under the data dir: `snapshots/{domain}/{app}/{stream}/` and
 * `recordings/{domain}/{app}/{stream}/`. Names are validated by the API (letters, digits,
 * `_-.`), but `.` and `..` are valid app and stream names: those are escaped so no name
 * can step out of its folder.
 */
export interface MediaPaths {
  snapshots: string;
  recordings: string;
}

export const mediaPaths = (dataDir: string): MediaPaths => ({
  snapshots: path.join(dataDir, "snapshots"),
  recordings: path.join(dataDir, "recordings"),
});

const safeSegment = (name: string) => (/^\.+$/.test(name) ? name.replace(/\./g, "%2E") : name);

/** The stream's folder, relative to a root (snapshots or recordings). */
export const streamFolder = (key: StreamKey) => path.join(safeSegment(key.domain), safeSegment(key.appName), safeSegment(key.streamName));

/** A sortable UTC timestamp for file names: 20261201T090000123Z. */
export const fileStamp = (at: Date) => at.toISOString().replace(/[-:.]/g, "");
