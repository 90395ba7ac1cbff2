import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { apiClient, startService, type ServiceHandle } from "../../helpers/service";
import { killAllSpawned, makeTempDir, waitFor } from "../../helpers/media";
import { ffmpegPlay, gstPlay, playedMedia, publishRtmp, publishSrt } from "../../helpers/playback";

const DOMAIN = "players.example.com";

/** Real players read what the service ingests: decoded frames counted, timestamps only forward. */
describe("playback: ffmpeg and GStreamer as players", () => {
  let service: ServiceHandle;
  let call: ReturnType<typeof apiClient>;
  const tmp = makeTempDir("liverelay-players-");
  let rtmpPort: number;
  let srtPort: number;
  let http: string;

  beforeAll(async () => {
    service = await startService();
    call = apiClient(service);
    rtmpPort = Number(service.ready.rtmpPort);
    srtPort = Number(service.ready.srtPort);
    http = `${service.url}/live/${DOMAIN}/live`;
    expect((await call("PUT", `/v1/domains/${DOMAIN}/ingest-settings`, { openPlayback: true })).status).toBe(200);
    publishRtmp(rtmpPort, "fromrtmp", DOMAIN, 60);
    publishSrt(srtPort, "fromsrt", DOMAIN, 60);
    await waitFor(async () => (await call("GET", `/v1/domains/${DOMAIN}/streams`)).body.items.length === 2, { timeoutMs: 20_000, what: "both streams live" });
  }, 40_000);

  afterAll(async () => {
    killAllSpawned();
    await service?.stop();
    tmp.cleanup();
  });

  const reads = () => [
    { name: "RTMP play of an RTMP stream", url: `rtmp://127.0.0.1:${rtmpPort}/live/fromrtmp?vhost=${DOMAIN}`, file: "rtmp.mkv" },
    { name: "HTTP-FLV of an RTMP stream", url: `${http}/fromrtmp.flv`, file: "flv.mkv" },
    { name: "SRT read of an SRT stream", url: `srt://127.0.0.1:${srtPort}?streamid=#!::h=${DOMAIN},r=live/fromsrt,m=request`, file: "srt.mkv" },
    { name: "HLS of an SRT stream", url: `${http}/fromsrt.m3u8`, file: "hls.mkv" },
  ];

  /** ffmpeg reads each URL for 3 s at once: H.264 and AAC decode, ~3 s of frames, timestamps strictly increasing. */
  async function expectFfmpegReads(list: { name: string; url: string; file: string }[]) {
    const results = await Promise.all(list.map(async (r) => ({ r, run: await ffmpegPlay(r.url, `${tmp.dir}/${r.file}`, 3) })));
    for (const { r, run } of results) {
      expect(run.code, `${r.name}: ${run.stderr}`).toBe(0);
      expect(run.stderr, r.name).not.toMatch(/monoton/i);
      const media = await playedMedia(`${tmp.dir}/${r.file}`);
      expect(media.videoCodec, r.name).toBe("h264");
      expect(media.videoFrames, r.name).toBeGreaterThanOrEqual(60);
      expect(media.audioFrames, r.name).toBeGreaterThan(50);
      expect(media.strictlyIncreasing, r.name).toBe(true);
    }
  }

  it("ffmpeg reads each protocol: H.264 and AAC decode, ~3 s of frames, timestamps increasing", () => expectFfmpegReads(reads()), 90_000);

  it("any ingest over any protocol: RTMP ingest read over SRT and HLS, SRT ingest over RTMP play and HTTP-FLV (ffmpeg)", async () => {
    const across = [
      { name: "SRT read of an RTMP stream", url: `srt://127.0.0.1:${srtPort}?streamid=#!::h=${DOMAIN},r=live/fromrtmp,m=request`, file: "x-srt.mkv" },
      { name: "HLS of an RTMP stream", url: `${http}/fromrtmp.m3u8`, file: "x-hls.mkv" },
      { name: "RTMP play of an SRT stream", url: `rtmp://127.0.0.1:${rtmpPort}/live/fromsrt?vhost=${DOMAIN}`, file: "x-rtmp.mkv" },
      { name: "HTTP-FLV of an SRT stream", url: `${http}/fromsrt.flv`, file: "x-flv.mkv" },
    ];
    await expectFfmpegReads(across);
  }, 90_000);

  it("GStreamer reads each protocol, across containers (rtmp2src and souphttpsrc + flvdemux of the SRT stream, srtsrc and hlsdemux of the RTMP one) and decodes it", async () => {
    const players = [
      { name: "rtmp", source: ["rtmp2src", `location=rtmp://127.0.0.1:${rtmpPort}/live/fromsrt?vhost=${DOMAIN}`], demux: "flvdemux" },
      { name: "flv", source: ["souphttpsrc", `location=${http}/fromsrt.flv`, "is-live=true"], demux: "flvdemux" },
      { name: "srt", source: ["srtsrc", `uri=srt://127.0.0.1:${srtPort}`, `streamid=#!::h=${DOMAIN},r=live/fromrtmp,m=request`], demux: "tsdemux" },
      { name: "hls", source: ["souphttpsrc", `location=${http}/fromrtmp.m3u8`, "!", "hlsdemux"], demux: "tsdemux" },
    ];
    const results = await Promise.all(players.map(async (p) => ({ p, run: await gstPlay(p.source, p.demux, `${tmp.dir}/gst-${p.name}.ts`, 5) })));
    for (const { p, run } of results) {
      expect(run.stderr, p.name).not.toMatch(/ERROR/);
      const media = await playedMedia(`${tmp.dir}/gst-${p.name}.ts`);
      expect(media.videoCodec, p.name).toBe("h264");
      expect(media.videoFrames, p.name).toBeGreaterThanOrEqual(30);
      // GStreamer's live sources timestamp a burst (the cached GOP) on arrival: equal, never backwards.
      expect(media.monotonic, p.name).toBe(true);
    }
  }, 90_000);
});
