import fs from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startService, type ServiceHandle } from "../../helpers/service";
import { codecs, probe, publishRtmp, tmpDir, waitFor } from "../../helpers/relay";
import { DOMAIN, decodeErrors, mediaApi, type Recording } from "./support";

describe("recording (real ffmpeg on loopback)", () => {
  let svc: ServiceHandle;
  let api: ReturnType<typeof mediaApi>;
  const dir = tmpDir("liverelay-recording-");

  beforeAll(async () => {
    svc = await startService();
    api = mediaApi(svc);
  });
  afterAll(() => svc?.stop());

  const publish = (service: ServiceHandle, stream: string, seconds: number) =>
    publishRtmp(`rtmp://127.0.0.1:${service.ready.rtmpPort}/live/${stream}?vhost=${DOMAIN}`, { seconds });
  const finished = (a: ReturnType<typeof mediaApi>, stream: string, count = 1) =>
    waitFor(`${count} finished recording(s) of ${stream}`, async () => {
      const items = await a.recordings(`?streamName=${stream}`);
      return items.length === count && items.every((r) => r.endedAt !== null) && items;
    }, 20_000);
  const download = async (a: ReturnType<typeof mediaApi>, r: Recording, headers: Record<string, string> = {}) => {
    const res = await a.fetch(`/recordings/${r.id}/file`, headers);
    return { res, bytes: Buffer.from(await res.arrayBuffer()) };
  };

  it("mp4: a 15 s publish plays for 15 ± 1 s through the API; Range requests; DELETE", async () => {
    expect((await api.setRecording("live", { format: "mp4", segmentSeconds: 60 })).status).toBe(200);
    const pub = publish(svc, "talk", 15);
    await waitFor("recording listed while written", async () => (await api.recordings("?streamName=talk")).some((r) => r.endedAt === null));
    expect(await pub.exited).toBe(0);
    const [rec] = await finished(api, "talk");
    expect(rec).toMatchObject({ format: "mp4", streamName: "talk" });
    expect(rec.durationSeconds).toBeGreaterThan(14);
    expect(rec.durationSeconds).toBeLessThan(16);

    const whole = await download(api, rec);
    expect(whole.res.status).toBe(200);
    expect(whole.res.headers.get("content-type")).toBe("video/mp4");
    expect(whole.res.headers.get("accept-ranges")).toBe("bytes");
    expect(whole.bytes.length).toBe(rec.bytes);
    const file = path.join(dir, "talk.mp4");
    fs.writeFileSync(file, whole.bytes);
    const p = probe(file);
    expect(codecs(p)).toEqual(["audio:aac", "video:h264"]);
    expect(Math.abs(p.duration - 15)).toBeLessThanOrEqual(1);
    expect(decodeErrors(file)).toBe("");

    const part = await download(api, rec, { range: "bytes=1000-1999" });
    expect(part.res.status).toBe(206);
    expect(part.res.headers.get("content-range")).toBe(`bytes 1000-1999/${rec.bytes}`);
    expect(part.bytes.equals(whole.bytes.subarray(1000, 2000))).toBe(true);
    const tail = await download(api, rec, { range: "bytes=-100" });
    expect(tail.res.status).toBe(206);
    expect(tail.bytes.equals(whole.bytes.subarray(whole.bytes.length - 100))).toBe(true);
    const beyond = await download(api, rec, { range: `bytes=${rec.bytes}-` });
    expect(beyond.res.status).toBe(416);
    expect(beyond.res.headers.get("content-range")).toBe(`bytes */${rec.bytes}`);

    expect((await api.call("DELETE", `/v1/domains/${DOMAIN}/recordings/${rec.id}`)).status).toBe(204);
    expect((await api.recordings("?streamName=talk")).length).toBe(0);
    expect(fs.readdirSync(path.join(svc.dataDir, "recordings", DOMAIN, "live", "talk"))).toEqual([]);
  });

  it("hls: one playlist per publish, its segments under …/files/{name}", async () => {
    expect((await api.setRecording("hlsapp", { format: "hls", segmentSeconds: 10 })).status).toBe(200);
    const pub = publishRtmp(`rtmp://127.0.0.1:${svc.ready.rtmpPort}/hlsapp/show?vhost=${DOMAIN}`, { seconds: 12 });
    await pub.exited;
    const [rec] = await finished(api, "show");
    expect(rec.format).toBe("hls");
    expect(rec.durationSeconds).toBeGreaterThan(11);
    const playlist = await download(api, rec);
    expect(playlist.res.headers.get("content-type")).toBe("application/vnd.apple.mpegurl");
    const text = playlist.bytes.toString();
    expect(text).toContain("#EXT-X-ENDLIST");
    const segments = text.split("\n").filter((l) => l.startsWith("files/"));
    expect(segments.length).toBeGreaterThanOrEqual(2);
    const seg = await api.fetch(`/recordings/${rec.id}/${segments[0]}`);
    expect(seg.status).toBe(200);
    expect(seg.headers.get("content-type")).toBe("video/mp2t");
    expect((await api.fetch(`/recordings/${rec.id}/files/nope.ts`)).status).toBe(404);
  });

  it("graceful shutdown during a recording: the segments are closed, indexed and playable", async () => {
    const own = await startService();
    const ownApi = mediaApi(own);
    await ownApi.setRecording("live", { format: "mp4", segmentSeconds: 10 });
    const pub = publish(own, "stop", 30);
    await waitFor("two segments started", async () => (await ownApi.recordings()).length === 2, 25_000);
    await new Promise((r) => setTimeout(r, 2_000));
    const stopped = await own.stop();
    expect(stopped.code).toBe(0);
    await pub.kill();

    const again = await startService({ dataDir: own.dataDir });
    try {
      const rows = await finished(mediaApi(again), "stop", 2);
      expect(rows[0].durationSeconds).toBeGreaterThan(9);
      expect(rows[0].durationSeconds).toBeLessThan(11);
      expect(rows[1].durationSeconds).toBeGreaterThan(0.5);
      const last = path.join(again.dataDir, "recordings", DOMAIN, "live", "stop", fs.readdirSync(path.join(again.dataDir, "recordings", DOMAIN, "live", "stop")).sort()[1]);
      expect(codecs(probe(last))).toEqual(["audio:aac", "video:h264"]);
      expect(decodeErrors(last)).toBe("");
      expect(again.logs().some((l) => l.msg === "recording left open by a previous run closed")).toBe(false);
    } finally {
      await again.stop();
    }
  });

  it("a crash (SIGKILL) leaves a playable fragmented mp4, indexed at the next start", async () => {
    const own = await startService();
    const ownApi = mediaApi(own);
    await ownApi.setRecording("live", { format: "mp4", segmentSeconds: 60 });
    const pub = publish(own, "crash", 30);
    await waitFor("recording", async () => (await ownApi.recordings()).length === 1);
    await new Promise((r) => setTimeout(r, 7_000));
    await own.kill();
    await pub.kill();

    const again = await startService({ dataDir: own.dataDir });
    try {
      const [rec] = await finished(mediaApi(again), "crash");
      expect(rec.durationSeconds).toBeGreaterThan(3);
      const file = path.join(dir, "crash.mp4");
      fs.writeFileSync(file, (await download(mediaApi(again), rec)).bytes);
      expect(codecs(probe(file))).toEqual(["audio:aac", "video:h264"]);
      expect(decodeErrors(file)).toBe("");
    } finally {
      await again.stop();
    }
  });
});
