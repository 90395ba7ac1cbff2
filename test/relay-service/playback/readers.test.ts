import net from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { apiClient, startService, type ServiceHandle } from "../../helpers/service";
import { killAllSpawned, makeTempDir, startProcess, waitFor } from "../../helpers/media";
import { makeTestTs } from "../../helpers/srt";
import { startNginxRtmp, type NginxRtmp } from "../../helpers/nginx-rtmp";
import { ffmpegPlay, publishRtmp, publishSrt } from "../../helpers/playback";

const DOMAIN = "readers.example.com";

/** An HTTP-FLV reader that keeps reading and counts what it got, until cancelled. */
async function openFlvReader(url: string) {
  const res = await fetch(url);
  const reader = { status: res.status, bytes: 0, cancel: async () => {} };
  if (res.status !== 200) return reader;
  const body = res.body!.getReader();
  reader.cancel = () => body.cancel();
  void (async () => {
    for (;;) {
      const { done, value } = await body.read().catch(() => ({ done: true, value: undefined }));
      if (done) return;
      reader.bytes += value!.length;
    }
  })();
  return reader;
}

async function metricValue(service: ServiceHandle, line: RegExp): Promise<number> {
  const text = await (await fetch(`${service.url}/metrics`, { headers: { authorization: `Bearer ${service.token}` } })).text();
  const found = text.split("\n").find((l) => line.test(l));
  return found ? Number(found.split(" ").pop()) : 0;
}

describe("readers: counted per protocol, bounded, and no threat to relays", () => {
  let service: ServiceHandle;
  let call: ReturnType<typeof apiClient>;
  let nginx: NginxRtmp;
  const tmp = makeTempDir("liverelay-readers-");
  const readers = async (stream: string) =>
    ((await call("GET", `/v1/domains/${DOMAIN}/streams`)).body.items as { streamName: string; readers: Record<string, number> }[]).find((s) => s.streamName === stream)?.readers;

  beforeAll(async () => {
    nginx = await startNginxRtmp({ record: false });
    service = await startService({ args: ["--max-readers-per-stream", "60"] });
    call = apiClient(service);
    expect((await call("PUT", `/v1/domains/${DOMAIN}/ingest-settings`, { openPlayback: true })).status).toBe(200);
    publishRtmp(Number(service.ready.rtmpPort), "show", DOMAIN, 90);
    publishSrt(Number(service.ready.srtPort), "feed", DOMAIN, 90);
    await waitFor(async () => (await call("GET", `/v1/domains/${DOMAIN}/streams`)).body.items.length === 2, { timeoutMs: 20_000, what: "streams live" });
  }, 40_000);

  afterAll(async () => {
    killAllSpawned();
    await service?.stop();
    await nginx?.stop();
    tmp.cleanup();
  });

  it("50 concurrent HTTP-FLV readers of one stream all get media while its relay to nginx-rtmp keeps delivering", async () => {
    const created = await call("POST", `/v1/domains/${DOMAIN}/relay-templates`, { appName: "live", streamName: "show", destinationUrl: `${nginx.rtmpUrl}/sink/show`, mode: "always" });
    expect(created.status).toBe(201);
    const status = async () => (await call("GET", `/v1/domains/${DOMAIN}/relay-templates/${created.body.id}/status`)).body;
    await waitFor(async () => (await status()).state === "relaying", { timeoutMs: 20_000, what: "relay relaying" });
    const delivered = async () => (await nginx.streams("sink")).get("show")?.bytesIn ?? 0;
    const before = await delivered();
    const all = await Promise.all(Array.from({ length: 50 }, () => openFlvReader(`${service.url}/live/${DOMAIN}/live/show.flv`)));
    expect(all.map((r) => r.status)).toEqual(Array(50).fill(200));
    await waitFor(async () => (await readers("show"))?.flv === 50, { what: "50 flv readers counted" });
    expect(await metricValue(service, /^liverelay_playback_readers\{protocol="flv"\}/)).toBe(50);
    const startBytes = all.map((r) => r.bytes);
    await new Promise((r) => setTimeout(r, 3_000));
    // Every reader keeps receiving (the publisher sends ~15 KB/s and more), none was dropped.
    all.forEach((r, i) => expect(r.bytes - startBytes[i], `reader ${i}`).toBeGreaterThan(20_000));
    expect((await status()).state).toBe("relaying");
    expect(await delivered()).toBeGreaterThan(before + 20_000);
    await Promise.all(all.map((r) => r.cancel()));
    await waitFor(async () => (await readers("show"))?.flv === 0, { what: "flv readers gone" });
  }, 60_000);

  it("counts RTMP, SRT and HLS readers in /streams and /metrics", async () => {
    const rtmp = ffmpegPlay(`rtmp://127.0.0.1:${service.ready.rtmpPort}/live/show?vhost=${DOMAIN}`, `${tmp.dir}/r.mkv`, 6);
    const srt = ffmpegPlay(`srt://127.0.0.1:${service.ready.srtPort}?streamid=#!::h=${DOMAIN},r=live/feed,m=request`, `${tmp.dir}/s.mkv`, 6);
    expect((await fetch(`${service.url}/live/${DOMAIN}/live/feed.m3u8`)).status).toBe(200); // opens an HLS session
    await waitFor(async () => (await readers("show"))?.rtmp === 1 && (await readers("feed"))?.srt === 1, { timeoutMs: 15_000, what: "rtmp and srt readers counted" });
    expect(await readers("feed")).toEqual({ rtmp: 0, flv: 0, hls: 1, srt: 1 });
    expect(await metricValue(service, /^liverelay_playback_readers\{protocol="hls"\}/)).toBe(1);
    expect(await metricValue(service, /^liverelay_playback_readers\{protocol="srt"\}/)).toBe(1);
    await Promise.all([rtmp, srt]);
    await waitFor(async () => (await readers("show"))?.rtmp === 0 && (await readers("feed"))?.srt === 0, { timeoutMs: 15_000, what: "players gone" });
  }, 60_000);
});

describe("readers: limits", () => {
  let service: ServiceHandle;
  let call: ReturnType<typeof apiClient>;
  const tmp = makeTempDir("liverelay-reader-limits-");

  beforeAll(async () => {
    service = await startService({ args: ["--max-readers-per-stream", "2", "--max-readers", "3"] });
    call = apiClient(service);
    expect((await call("PUT", `/v1/domains/${DOMAIN}/ingest-settings`, { openPlayback: true })).status).toBe(200);
    publishRtmp(Number(service.ready.rtmpPort), "a", DOMAIN, 60);
    publishSrt(Number(service.ready.srtPort), "b", DOMAIN, 60);
    await waitFor(async () => (await call("GET", `/v1/domains/${DOMAIN}/streams`)).body.items.length === 2, { timeoutMs: 20_000, what: "streams live" });
  }, 40_000);

  afterAll(async () => {
    killAllSpawned();
    await service?.stop();
    tmp.cleanup();
  });

  it("refuses players past the per-stream and global limits on every protocol, and counts the refusals", async () => {
    const flv = (s: string) => `${service.url}/live/${DOMAIN}/live/${s}.flv`;
    const held = [await openFlvReader(flv("a")), await openFlvReader(flv("a"))];
    expect(held.map((r) => r.status)).toEqual([200, 200]);
    const third = await fetch(flv("a"));
    expect(third.status).toBe(429);
    expect(((await third.json()) as { error: { code: string } }).error.code).toBe("RateLimited");
    const rtmp = await ffmpegPlay(`rtmp://127.0.0.1:${service.ready.rtmpPort}/live/a?vhost=${DOMAIN}`, `${tmp.dir}/r.mkv`, 1);
    expect(rtmp.code).not.toBe(0);
    expect(service.logs().some((l) => l.msg === "play refused" && l.code === "Busy")).toBe(true);
    const hls = `${service.url}/live/${DOMAIN}/live/b.m3u8`;
    expect((await fetch(hls)).status).toBe(200); // an HLS session: the third reader of the service
    expect((await fetch(hls)).status).toBe(429);
    const srt = await ffmpegPlay(`srt://127.0.0.1:${service.ready.srtPort}?streamid=#!::h=${DOMAIN},r=live/b,m=request`, `${tmp.dir}/s.mkv`, 1);
    expect(srt.code).not.toBe(0);
    expect(await metricValue(service, /^liverelay_playback_refused_total\{protocol="flv",reason="max-readers-per-stream"\}/)).toBe(1);
    expect(await metricValue(service, /^liverelay_playback_refused_total\{protocol="hls",reason="max-readers"\}/)).toBe(1);
    expect(await metricValue(service, /^liverelay_playback_refused_total\{protocol="rtmp",reason="max-readers-per-stream"\}/)).toBe(1);
    await Promise.all(held.map((r) => r.cancel()));
    await waitFor(async () => (await fetch(flv("a"))).status === 200, { what: "room again once readers left" });
  }, 60_000);
});

describe("readers: a player that stops reading", () => {
  let service: ServiceHandle;
  const tmp = makeTempDir("liverelay-slow-reader-");

  beforeAll(async () => {
    service = await startService();
    const call = apiClient(service);
    expect((await call("PUT", `/v1/domains/${DOMAIN}/ingest-settings`, { openPlayback: true })).status).toBe(200);
    // ~30 Mbit/s (a pre-encoded CBR clip, copied in a loop): the stalled reader's buffers fill in seconds.
    const clip = await makeTestTs(`${tmp.dir}/clip.ts`, 2, 30_000);
    startProcess("ffmpeg", ["-hide_banner", "-nostdin", "-loglevel", "error", "-re", "-stream_loop", "-1", "-i", clip, "-c", "copy", "-f", "flv", `rtmp://127.0.0.1:${service.ready.rtmpPort}/live/fast?vhost=${DOMAIN}`]);
    await waitFor(async () => (await call("GET", `/v1/domains/${DOMAIN}/streams`)).body.items.length === 1, { timeoutMs: 30_000, what: "stream live" });
  }, 60_000);

  afterAll(async () => {
    killAllSpawned();
    await service?.stop();
    tmp.cleanup();
  });

  it("is dropped once its queue passes the bound (counted), while a player that reads keeps going", async () => {
    const stalled = net.connect(Number(new URL(service.url).port), "127.0.0.1");
    stalled.write(`GET /live/${DOMAIN}/live/fast.flv HTTP/1.1\r\nHost: x\r\n\r\n`);
    stalled.once("data", () => stalled.pause()); // headers and a first chunk, then never reads again
    const reading = await openFlvReader(`${service.url}/live/${DOMAIN}/live/fast.flv`);
    await waitFor(async () => (await metricValue(service, /^liverelay_playback_dropped_total\{protocol="flv"\}/)) === 1, { timeoutMs: 40_000, intervalMs: 500, what: "the stalled player dropped" });
    const streams = await apiClient(service)("GET", `/v1/domains/${DOMAIN}/streams`);
    expect(streams.body.items[0].readers.flv).toBe(1); // the stalled player's place is free again
    const before = reading.bytes;
    await new Promise((r) => setTimeout(r, 1_000));
    expect(reading.bytes).toBeGreaterThan(before + 1_000_000);
    await reading.cancel();
    stalled.destroy();
  }, 60_000);
});
