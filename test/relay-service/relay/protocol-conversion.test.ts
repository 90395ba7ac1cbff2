// Cross-protocol relays (`protocolConversion`): SRT ingest → a real nginx-rtmp, RTMP ingest →
// an SRT listener, through the in-process engines fed by the hub's converted container; and
// the protocol match staying the default (ProtocolMismatch) until a template opts in.
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { apiClient, startService, type ServiceHandle } from "../../helpers/service";
import { expectDecodableMonotonic, freeUdpPort, publishRtmp, srtDestination, tmpDir, waitFor, type Proc } from "../../helpers/relay";
import { startNginxRtmp, type NginxRtmp } from "../../helpers/nginx-rtmp";
import { makeTestTs, spawnFfmpegPublisher, type Publisher } from "../../helpers/srt";

const DOMAIN = "convert.example.com";
const streamId = (stream: string) => `#!::h=${DOMAIN},r=live/${stream},m=publish`;

describe("cross-protocol relays (protocolConversion)", () => {
  let svc: ServiceHandle;
  let call: ReturnType<typeof apiClient>;
  let nginx: NginxRtmp;
  let clip: string;
  const dir = tmpDir("liverelay-convert-");
  const running: (Publisher | Proc)[] = [];

  beforeAll(async () => {
    nginx = await startNginxRtmp();
    svc = await startService();
    call = apiClient(svc);
    clip = await makeTestTs(path.join(dir, "clip.ts"), 8, 1500, { audio: true });
  });
  afterEach(() => {
    for (const p of running.splice(0)) p.kill("SIGKILL");
  });
  afterAll(async () => {
    await svc?.stop();
    await nginx?.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const createTemplate = async (streamName: string, destinationUrl: string, extra: Record<string, unknown> = {}) => {
    const res = await call("POST", `/v1/domains/${DOMAIN}/relay-templates`, { appName: "live", streamName, destinationUrl, mode: "always", ...extra });
    expect(res.status).toBe(201);
    return res.body as { id: string; protocolConversion: boolean };
  };
  const status = async (id: string) => (await call("GET", `/v1/domains/${DOMAIN}/relay-templates/${id}/status`)).body;
  const waitState = (id: string, state: string, timeoutMs = 30_000) =>
    waitFor(`state ${state}`, async () => {
      const s = await status(id);
      return s.state === state && s;
    }, timeoutMs);
  const srtPublisher = (name: string) => {
    const p = spawnFfmpegPublisher({ port: Number(svc.ready.srtPort), streamId: streamId(name), file: clip });
    running.push(p);
    return p;
  };

  it("SRT ingest → nginx-rtmp: ProtocolMismatch while off; converted to FLV once turned on; what nginx records decodes", async () => {
    const template = await createTemplate("srt-in", `${nginx.rtmpUrl}/sink/converted1`);
    expect(template.protocolConversion).toBe(false);
    const pub = srtPublisher("srt-in");
    const refused = await waitState(template.id, "error");
    expect(refused.lastError.code).toBe("ProtocolMismatch");

    const patched = await call("PATCH", `/v1/domains/${DOMAIN}/relay-templates/${template.id}`, { protocolConversion: true });
    expect(patched.status).toBe(200);
    expect(patched.body.protocolConversion).toBe(true);
    await waitState(template.id, "relaying");
    await waitFor("nginx receives the stream", async () => (await nginx.streams()).has("converted1"), 15_000);
    await pub.exited; // the 8 s clip ends; the relay ends with it and nginx closes the recording
    await waitFor("nginx closed the recording", async () => !(await nginx.streams()).has("converted1"), 20_000);
    expectDecodableMonotonic(path.join(nginx.recordDir, "converted1.flv"), 4);
  });

  it("a stream whose codec frames do not carry (MPEG-2 video) is error/ConversionUnsupported, nothing started", async () => {
    const mpeg2 = path.join(dir, "mpeg2.ts");
    execFileSync("ffmpeg", ["-hide_banner", "-loglevel", "error", "-y", "-f", "lavfi", "-i", "testsrc2=size=320x180:rate=25", "-t", "8", "-c:v", "mpeg2video", "-f", "mpegts", mpeg2]);
    const template = await createTemplate("mpeg2-in", `${nginx.rtmpUrl}/sink/never`, { protocolConversion: true });
    running.push(spawnFfmpegPublisher({ port: Number(svc.ready.srtPort), streamId: streamId("mpeg2-in"), file: mpeg2 }));
    const s = await waitState(template.id, "error");
    expect(s.lastError).toMatchObject({ code: "ConversionUnsupported", message: expect.stringContaining("mpeg2video") });
    expect(s.restarts).toBe(0);
  });

  it("RTMP ingest → SRT listener with conversion on: MPEG-TS muxed by the hub arrives decodable", async () => {
    const dest = srtDestination(await freeUdpPort(), path.join(dir, "rtmp-in.ts"));
    running.push(dest);
    const template = await createTemplate("rtmp-in", dest.url, { protocolConversion: true });
    const pub = publishRtmp(`rtmp://127.0.0.1:${svc.ready.rtmpPort}/live/rtmp-in?vhost=${DOMAIN}`, { seconds: 8 });
    running.push(pub);
    const s = await waitState(template.id, "relaying");
    expect(s.lastError ?? null).toBeNull();
    await pub.exited;
    await dest.exited; // the listener ends when the relay's SRT caller goes away
    expectDecodableMonotonic(dest.file, 4);
  });
});
