import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startService, type ServiceHandle } from "../../helpers/service";
import { codecs, freePort, freeUdpPort, probe, publishRtmp, rtmpDestination, srtDestination, tmpDir, waitFor } from "../../helpers/relay";
import { spawnFfmpegPublisher } from "../../helpers/srt";
import { DOMAIN, mediaApi, probeStream, waitLive, workerPids } from "./support";

const SD = { appName: "live", video: { codec: "h264", height: 360, bitrateKbps: 800 }, audio: { codec: "aac", bitrateKbps: 96 } };
const PUBLISH_720P = { size: "1280x720", rate: 30 };

describe("transcoding: StreamName_<templateId> renditions (real ffmpeg on loopback)", () => {
  let svc: ServiceHandle;
  let api: ReturnType<typeof mediaApi>;
  let ingest: string;
  const dir = tmpDir("liverelay-transcode-");

  beforeAll(async () => {
    svc = await startService();
    api = mediaApi(svc);
    ingest = `rtmp://127.0.0.1:${svc.ready.rtmpPort}/live`;
    expect((await api.putTemplate("sd", SD)).status).toBe(200);
  });
  afterAll(() => svc?.stop());

  const waitRelaying = (id: string, timeoutMs = 20_000) => waitFor(`relay ${id} relaying`, async () => (await api.relayStatus(id)).state === "relaying", timeoutMs);

  it("a 720p publish: show_sd is live at 360p and relayed at 360p, while show is relayed at 720p", async () => {
    const full = rtmpDestination(await freePort(), path.join(dir, "show.flv"));
    const low = rtmpDestination(await freePort(), path.join(dir, "show_sd.flv"));
    const fullId = await api.relayTo("show", full.url);
    const lowId = await api.relayTo("show_sd", low.url);
    const pub = publishRtmp(`${ingest}/show?vhost=${DOMAIN}`, { seconds: 10, ...PUBLISH_720P });

    const rendition = await waitFor("show_sd at 360p", async () => (await api.streams()).find((s) => s.streamName === "show_sd" && s.height === 360), 20_000);
    expect(rendition).toMatchObject({ protocol: "rtmp", height: 360 });
    expect((await api.streams()).map((s) => s.streamName).sort()).toEqual(["show", "show_sd"]); // no show_sd_sd
    await Promise.all([waitRelaying(fullId), waitRelaying(lowId)]);
    // The rendition can be live before the transcoder's first progress report marks it running.
    const transcoderRunning = /liverelay_media_workers\{kind="transcoder",state="running"\} 1/;
    await waitFor("the transcoder counted as running in /metrics", async () => transcoderRunning.test((await api.call("GET", "/metrics")).body as string), 10_000);

    expect(await pub.exited).toBe(0);
    await Promise.all([full.exited, low.exited]);
    await waitFor("show_sd ended with its source", async () => (await api.streams()).length === 0);
    expect(probeStream(full.file)).toMatchObject({ codec_name: "h264", width: 1280, height: 720 });
    expect(probeStream(low.file)).toMatchObject({ codec_name: "h264", width: 640, height: 360 });
    const p = probe(low.file);
    expect(codecs(p)).toEqual(["audio:aac", "video:h264"]);
    expect(p.duration).toBeGreaterThan(5);
  });

  it("a killed transcoder is restarted; the copy relay of the source never notices", async () => {
    const dest = rtmpDestination(await freePort(), path.join(dir, "kill.flv"));
    const copyId = await api.relayTo("kill", dest.url);
    const pub = publishRtmp(`${ingest}/kill?vhost=${DOMAIN}`, { seconds: 40, ...PUBLISH_720P });
    const first = await waitLive(api, "kill_sd");
    await waitRelaying(copyId);

    const [transcoder] = workerPids(svc, "scale=-2:360");
    expect(transcoder).toBeGreaterThan(0);
    process.kill(transcoder, "SIGKILL");
    const back = await waitFor("a new transcoder", () => workerPids(svc, "scale=-2:360").find((pid) => pid !== transcoder), 20_000);
    expect(back).not.toBe(transcoder);
    await waitFor("the rendition back, published afresh", async () => (await api.streams()).some((s) => s.streamName === "kill_sd" && s.startedAt !== first.startedAt), 20_000);
    const copy = await api.relayStatus(copyId);
    expect(copy).toMatchObject({ state: "relaying", restarts: 0 });
    expect(svc.logs().some((l) => l.msg === "transcoder failed; restarting" && l.templateId === "sd")).toBe(true);

    await pub.kill();
    await dest.exited;
    expect(codecs(probe(dest.file))).toEqual(["audio:aac", "video:h264"]);
  });

  it("an SRT source gets an SRT (MPEG-TS) rendition, relayable to SRT", async (ctx) => {
    if (!svc.ready.srtPort) return ctx.skip(); // SRT ingest not wired into this build
    const dest = srtDestination(await freeUdpPort(), path.join(dir, "srt_sd.ts"));
    const id = await api.relayTo("srtcam_sd", dest.url);
    const pub = spawnFfmpegPublisher({ port: Number(svc.ready.srtPort), streamId: `#!::h=${DOMAIN},r=live/srtcam,m=publish`, seconds: 8 });
    const rendition = await waitLive(api, "srtcam_sd");
    expect(rendition.protocol).toBe("srt");
    await waitRelaying(id);
    await pub.exited;
    await dest.exited;
    expect(probeStream(dest.file)).toMatchObject({ codec_name: "h264", height: 360 });
  });
});
