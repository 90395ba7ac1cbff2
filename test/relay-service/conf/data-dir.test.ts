import fs from "node:fs";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { startService, type ServiceHandle } from "../../helpers/service";
import { publishRtmp, tmpDir, waitFor } from "../../helpers/relay";
import { DOMAIN, mediaApi } from "../processing/support";

const modeOf = (file: string) => fs.statSync(file).mode & 0o777;

/** Every directory and file below `root`, with its permission bits. */
function walk(root: string): { file: string; dir: boolean; mode: number }[] {
  const out: { file: string; dir: boolean; mode: number }[] = [];
  for (const entry of fs.readdirSync(root, { withFileTypes: true })) {
    const file = path.join(root, entry.name);
    out.push({ file, dir: entry.isDirectory(), mode: modeOf(file) });
    if (entry.isDirectory()) out.push(...walk(file));
  }
  return out;
}

describe("data dir permissions (real service, real ffmpeg)", () => {
  const services: ServiceHandle[] = [];
  afterAll(() => Promise.all(services.map((s) => s.stop())));

  it("a new data dir is 0700; the database, -wal, -shm, recordings and snapshots are owner-only", async () => {
    const dataDir = path.join(tmpDir("liverelay-modes-"), "data"); // created by the service, not by mkdtemp (which is 0700 already)
    const svc = await startService({ dataDir, token: null });
    services.push(svc);
    const api = mediaApi(svc);
    expect((await api.setRecording("live", { format: "mp4", segmentSeconds: 60 })).status).toBe(200);
    expect((await api.setSnapshots("live", { intervalSeconds: 1, keep: 2 })).status).toBe(200);
    const pub = publishRtmp(`rtmp://127.0.0.1:${svc.ready.rtmpPort}/live/cam?vhost=${DOMAIN}`, { seconds: 5 });
    await waitFor("a snapshot file", () => fs.existsSync(path.join(dataDir, "snapshots")) && walk(path.join(dataDir, "snapshots")).some((e) => e.file.endsWith(".jpg")), 30_000);
    await waitFor("a recording file", () => fs.existsSync(path.join(dataDir, "recordings")) && walk(path.join(dataDir, "recordings")).some((e) => !e.dir), 30_000);
    expect(await pub.exited).toBe(0);

    expect(modeOf(dataDir)).toBe(0o700);
    for (const name of ["liverelay.db", "liverelay.db-wal", "liverelay.db-shm", "api-token"]) {
      expect({ name, mode: modeOf(path.join(dataDir, name)) }).toEqual({ name, mode: 0o600 });
    }
    const media = [...walk(path.join(dataDir, "recordings")), ...walk(path.join(dataDir, "snapshots"))];
    expect(media.filter((e) => !e.dir).length).toBeGreaterThan(1);
    for (const e of media) expect({ file: e.file, mode: e.mode }).toEqual({ file: e.file, mode: e.dir ? 0o700 : 0o600 });
  });

  it("an existing data dir open to others is narrowed to its owner, with a warning", async () => {
    const dataDir = tmpDir("liverelay-modes-open-");
    fs.chmodSync(dataDir, 0o755);
    fs.writeFileSync(path.join(dataDir, "liverelay.db"), "");
    fs.chmodSync(path.join(dataDir, "liverelay.db"), 0o644);
    fs.mkdirSync(path.join(dataDir, "recordings"), { mode: 0o755 });
    fs.chmodSync(path.join(dataDir, "recordings"), 0o755);
    const svc = await startService({ dataDir });
    services.push(svc);
    expect(modeOf(dataDir)).toBe(0o700);
    expect(modeOf(path.join(dataDir, "liverelay.db"))).toBe(0o600);
    expect(modeOf(path.join(dataDir, "recordings"))).toBe(0o700);
    const warnings = svc.logs().filter((l) => l.level === 40 && String(l.msg).includes("narrowed"));
    expect(warnings.map((w) => w.path)).toEqual(expect.arrayContaining([dataDir, path.join(dataDir, "liverelay.db"), path.join(dataDir, "recordings")]));
  });
});
