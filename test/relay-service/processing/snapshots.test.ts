import fs from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startService, type ServiceHandle } from "../../helpers/service";
import { publishRtmp, tmpDir, waitFor } from "../../helpers/relay";
import { DOMAIN, mediaApi, probeStream } from "./support";

describe("snapshots (real ffmpeg on loopback)", () => {
  let svc: ServiceHandle;
  let api: ReturnType<typeof mediaApi>;
  const dir = tmpDir("liverelay-snapshots-");

  beforeAll(async () => {
    svc = await startService();
    api = mediaApi(svc);
  });
  afterAll(() => svc?.stop());

  const latest = async () => {
    const res = await api.fetch("/streams/live/cam/snapshot.jpg");
    return { status: res.status, type: res.headers.get("content-type"), bytes: Buffer.from(await res.arrayBuffer()) };
  };

  it("a decodable JPEG every interval, changing as the picture moves; only `keep` are kept", async () => {
    expect((await api.setSnapshots("live", { intervalSeconds: 1, keep: 2 })).status).toBe(200);
    const pub = publishRtmp(`rtmp://127.0.0.1:${svc.ready.rtmpPort}/live/cam?vhost=${DOMAIN}`, { seconds: 8 });
    const first = await waitFor("a first snapshot", async () => {
      const s = await latest();
      return s.status === 200 && s;
    }, 20_000);
    expect(first.type).toBe("image/jpeg");
    const second = await waitFor("a newer snapshot", async () => {
      const s = await latest();
      return s.status === 200 && !s.bytes.equals(first.bytes) && s;
    }, 10_000);

    for (const [i, shot] of [first, second].entries()) {
      const file = path.join(dir, `shot-${i}.jpg`);
      fs.writeFileSync(file, shot.bytes);
      expect(probeStream(file)).toMatchObject({ codec_name: "mjpeg", width: 640, height: 360 });
    }
    const folder = path.join(svc.dataDir, "snapshots", DOMAIN, "live", "cam");
    await pub.exited;
    await waitFor("pruned to keep = 2", () => fs.readdirSync(folder).filter((f) => f.endsWith(".jpg")).length === 2);
    expect((await latest()).status).toBe(200); // the last picture stays after the stream ended

    // The kept ones, newest first, each by name; the newest is the latest snapshot.
    const list = await (await api.fetch("/streams/live/cam/snapshots")).json();
    expect(list.items).toHaveLength(2);
    expect(Date.parse(list.items[0].takenAt)).toBeGreaterThanOrEqual(Date.parse(list.items[1].takenAt));
    const newest = await api.fetch(`/streams/live/cam/snapshots/${list.items[0].name}`);
    expect(newest.headers.get("content-type")).toBe("image/jpeg");
    expect(newest.headers.get("cache-control")).toContain("immutable");
    const bytes = Buffer.from(await newest.arrayBuffer());
    expect(bytes.length).toBe(list.items[0].bytes);
    expect(bytes.equals((await latest()).bytes)).toBe(true);
    expect((await api.fetch("/streams/live/cam/snapshots/000000000000001-000001.jpg")).status).toBe(404);
    expect((await api.fetch("/streams/live/cam/snapshots/..%2f..%2fliverelay.db")).status).toBe(400);
    expect(await (await api.fetch("/streams/live/other/snapshots")).json()).toEqual({ items: [] });
  });
});
