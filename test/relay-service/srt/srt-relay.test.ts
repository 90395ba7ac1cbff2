import crypto from "node:crypto";
import dgram from "node:dgram";
import fs from "node:fs";
import path from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { signAuthKey } from "../../../relay-service/src/ingest/url-signing";
import { apiClient, startService, type ServiceHandle } from "../../helpers/service";
import { codecs, freePort, freeUdpPort, pidsMatching, probe, publishRtmp, srtDestination, waitFor } from "../../helpers/relay";
import { makeTestTs, makeTmpDir, spawnFfmpegPublisher, spawnGstPublisher, spawnSrtLiveTransmitPublisher, type Publisher } from "../../helpers/srt";

const DOMAIN = "shows.example.com";
const SECURE = "secure.example.com";
const SIGNING_KEY = "srt-ingest-signing-key-0123";
const PASSPHRASE = "correct horse battery";

const streamId = (stream: string, opts: { domain?: string; query?: string; mode?: string } = {}) =>
  `#!::h=${opts.domain ?? DOMAIN},r=live/${stream}${opts.query ?? ""},m=${opts.mode ?? "publish"}`;

// The real service process, real SRT callers (ffmpeg, srt-live-transmit, GStreamer) and real
// SRT listener destinations (ffmpeg), all on loopback.
describe("SRT ingest and SRT relays", () => {
  let svc: ServiceHandle;
  let call: ReturnType<typeof apiClient>;
  let srtPort: number;
  let clip: string;
  const dir = makeTmpDir("srt-relay");
  const publishers: Publisher[] = [];
  const publish = (p: Publisher) => (publishers.push(p), p);

  beforeAll(async () => {
    svc = await startService();
    call = apiClient(svc);
    srtPort = Number(svc.ready.srtPort);
    clip = await makeTestTs(path.join(dir, "clip.ts"), 8, 1500, { audio: true });
  });
  afterEach(() => {
    for (const p of publishers.splice(0)) p.kill("SIGKILL");
  });
  afterAll(async () => {
    await svc?.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const createTemplate = async (streamName: string, destinationUrl: string, domain = DOMAIN) => {
    const res = await call("POST", `/v1/domains/${domain}/relay-templates`, { appName: "live", streamName, destinationUrl, mode: "always" });
    expect(res.status).toBe(201);
    return res.body.id as string;
  };
  const status = async (id: string, domain = DOMAIN) => (await call("GET", `/v1/domains/${domain}/relay-templates/${id}/status`)).body;
  const waitState = (id: string, state: string, timeoutMs = 20_000, domain = DOMAIN) =>
    waitFor(`state ${state}`, async () => {
      const s = await status(id, domain);
      return s.state === state && s;
    }, timeoutMs);
  const liveStreams = async (domain = DOMAIN) => (await call("GET", `/v1/domains/${domain}/streams`)).body.items as Record<string, unknown>[];
  const isLive = async (name: string, domain = DOMAIN) => (await liveStreams(domain)).some((s) => s.streamName === name);
  const newDestination = async (name: string) => srtDestination(await freeUdpPort(), path.join(dir, `${name}.ts`));
  const ffmpegCaller = (name: string, o: { seconds?: number; passphrase?: string; query?: string; domain?: string; mode?: string } = {}) =>
    publish(spawnFfmpegPublisher({ port: srtPort, streamId: streamId(name, o), file: clip, seconds: o.seconds, passphrase: o.passphrase }));

  it("announces the bound SRT port in the readiness line", () => {
    expect(svc.ready.srt).toBe(`srt://127.0.0.1:${srtPort}`);
    expect(srtPort).toBeGreaterThan(0);
  });

  it("takes three concurrent callers (ffmpeg, srt-live-transmit, GStreamer) on one port and relays each to its SRT destination", async () => {
    const names = ["by-ffmpeg", "by-slt", "by-gst"];
    const dests = await Promise.all(names.map(newDestination));
    const ids = await Promise.all(names.map((n, i) => createTemplate(n, dests[i].url)));
    const pubs = [
      ffmpegCaller("by-ffmpeg"),
      publish(spawnSrtLiveTransmitPublisher({ port: srtPort, streamId: streamId("by-slt"), file: clip })),
      publish(spawnGstPublisher({ port: srtPort, streamId: streamId("by-gst", { query: "" }).replace("r=live/", "r=/live/"), file: clip })),
    ];
    for (const id of ids) await waitState(id, "relaying");
    const streams = await liveStreams();
    for (const name of names) {
      expect(streams).toContainEqual(expect.objectContaining({ appName: "live", streamName: name, protocol: "srt", videoCodec: "h264", audioCodec: "aac", width: 640, height: 360 }));
    }
    const exits = await Promise.all(pubs.map((p) => p.exited));
    exits.forEach((e, i) => expect(e.code === 0 || e.signal === "SIGTERM", `${pubs[i].name}: ${pubs[i].stderr()}`).toBe(true));
    await Promise.all(dests.map((d) => d.exited));
    for (const d of dests) {
      const p = probe(d.file);
      expect(codecs(p)).toEqual(["audio:aac", "video:h264"]);
      expect(p.duration).toBeGreaterThan(5);
    }
    for (const id of ids) await waitState(id, "waiting");
  });

  it("refuses a second caller for a live stream at the handshake; the first keeps relaying", async () => {
    const dest = await newDestination("dup");
    const id = await createTemplate("dup", dest.url);
    const first = ffmpegCaller("dup");
    await waitState(id, "relaying");
    const second = ffmpegCaller("dup", { seconds: 3 });
    expect((await second.exited).code).not.toBe(0);
    expect((await status(id)).state).toBe("relaying");
    expect((await first.exited).code).toBe(0);
    await dest.exited;
    expect(probe(dest.file).duration).toBeGreaterThan(6);
  });

  it("refuses an unauthorised m=request reader and malformed stream ids at the handshake", async () => {
    const request = ffmpegCaller("req", { mode: "request", seconds: 2 });
    const malformed = publish(spawnFfmpegPublisher({ port: srtPort, streamId: "not a stream id", file: clip, seconds: 2 }));
    const tooDeep = publish(spawnFfmpegPublisher({ port: srtPort, streamId: "#!::r=live/a/b,m=publish", file: clip, seconds: 2 }));
    for (const p of [request, malformed, tooDeep]) expect((await p.exited).code, p.stderr()).not.toBe(0);
    expect(await isLive("req")).toBe(false);
    const rejections = svc.logs().filter((l) => l.msg === "srt caller rejected").map((l) => l.reason);
    expect(rejections).toEqual(expect.arrayContaining(["Unauthorized", "BadRequest"])); // reading needs a play key or open playback
    expect(await liveStreams("default")).toEqual([]);
  });

  it("applies ingest auth: a bad auth_key or a wrong or missing passphrase is refused at the handshake", async () => {
    const put = await call("PUT", `/v1/domains/${SECURE}/ingest-auth`, { key: SIGNING_KEY, srtPassphrase: PASSPHRASE });
    expect(put.body).toMatchObject({ enabled: true, srtPassphraseSet: true });
    const sign = (key: string) => `?auth_key=${signAuthKey({ appName: "live", streamName: "cam", key, expiresAt: new Date(Date.now() + 600_000) })}`;
    const good = sign(SIGNING_KEY);
    const refused = [
      ffmpegCaller("cam", { domain: SECURE, query: sign("not-the-signing-key-012"), passphrase: PASSPHRASE, seconds: 2 }),
      ffmpegCaller("cam", { domain: SECURE, passphrase: PASSPHRASE, seconds: 2 }),
      ffmpegCaller("cam", { domain: SECURE, query: good, passphrase: "wrong horse battery", seconds: 2 }),
      ffmpegCaller("cam", { domain: SECURE, query: good, seconds: 2 }),
    ];
    for (const p of refused) expect((await p.exited).code, p.stderr()).not.toBe(0);
    expect(await isLive("cam", SECURE)).toBe(false);

    // Right after the failed handshakes (which passed authorize, then failed the passphrase),
    // the rightful caller is not kept out by their reservations.
    const ok = ffmpegCaller("cam", { domain: SECURE, query: good, passphrase: PASSPHRASE, seconds: 4 });
    await waitFor("authorized caller live", () => isLive("cam", SECURE));
    expect((await ok.exited).code).toBe(0);
    // libsrt asks authorize() before it checks the passphrase: the two passphrase failures
    // were admitted by the gate (and reserved the stream) but never connected.
    const camLogs = svc.logs().filter((l) => l.domain === SECURE && l.streamName === "cam");
    expect(camLogs.filter((l) => l.msg === "publish admitted")).toHaveLength(3);
    expect(camLogs.filter((l) => l.msg === "publish started")).toHaveLength(1);
    const text = svc.output.join("\n");
    expect(text).not.toContain(PASSPHRASE);
    expect(text).not.toContain(good.slice("?auth_key=".length));
    expect((await call("DELETE", `/v1/domains/${SECURE}/ingest-auth`)).status).toBe(204);
  });

  it("stays healthy after random UDP garbage on the SRT port", async () => {
    const dest = await newDestination("steady");
    const id = await createTemplate("steady", dest.url);
    const steady = ffmpegCaller("steady");
    await waitState(id, "relaying");
    await sendGarbage(srtPort, 3000);
    expect((await fetch(`${svc.url}/readyz`)).status).toBe(200);
    const after = ffmpegCaller("after-garbage", { seconds: 3 });
    await waitFor("caller after garbage live", () => isLive("after-garbage"));
    expect((await after.exited).code).toBe(0);
    expect((await status(id)).state).toBe("relaying");
    expect((await steady.exited).code).toBe(0);
  });

  it("caller leaving and returning: waiting, then relaying again; a vanished caller ends its stream within ~5 s", async () => {
    const port = await freeUdpPort();
    const first = srtDestination(port, path.join(dir, "return-1.ts"));
    const id = await createTemplate("return", first.url);
    const pub1 = ffmpegCaller("return", { seconds: 3 });
    await waitState(id, "relaying");
    expect((await pub1.exited).code).toBe(0);
    await waitState(id, "waiting");
    await first.exited;

    const second = srtDestination(port, path.join(dir, "return-2.ts"));
    const pub2 = ffmpegCaller("return");
    await waitState(id, "relaying");
    await new Promise((r) => setTimeout(r, 2_000));
    const killedAt = Date.now();
    pub2.kill("SIGKILL"); // no SRT shutdown: only the peer idle timeout tells
    await waitState(id, "waiting", 10_000);
    expect(Date.now() - killedAt).toBeLessThan(8_000);
    await second.exited;
    expect(codecs(probe(second.file))).toEqual(["audio:aac", "video:h264"]);
  });

  it("protocol mismatch both ways: error/ProtocolMismatch, nothing started", async () => {
    const toRtmp = await createTemplate("srt-to-rtmp", `rtmp://127.0.0.1:${await freePort()}/app/key`);
    const srtPub = ffmpegCaller("srt-to-rtmp");
    const s1 = await waitState(toRtmp, "error");
    expect(s1.lastError.code).toBe("ProtocolMismatch");

    const toSrt = await createTemplate("rtmp-to-srt", `srt://127.0.0.1:${await freeUdpPort()}?streamid=x`);
    const rtmpPub = publishRtmp(`rtmp://127.0.0.1:${svc.ready.rtmpPort}/live/rtmp-to-srt?vhost=${DOMAIN}`, { seconds: 20 });
    const s2 = await waitState(toSrt, "error");
    expect(s2.lastError.code).toBe("ProtocolMismatch");
    for (const id of [toRtmp, toSrt]) expect((await status(id)).restarts).toBe(0);
    srtPub.kill();
    await rtmpPub.kill();
  });

  it("an RTMP publisher cannot take a stream an SRT caller holds, and the other way round", async () => {
    const srtPub = ffmpegCaller("shared");
    await waitFor("srt stream live", () => isLive("shared"));
    const rtmpPub = publishRtmp(`rtmp://127.0.0.1:${svc.ready.rtmpPort}/live/shared?vhost=${DOMAIN}`, { seconds: 3 });
    expect(await rtmpPub.exited).not.toBe(0);
    expect((await liveStreams()).find((s) => s.streamName === "shared")).toMatchObject({ protocol: "srt" });
    srtPub.kill();
    await waitFor("srt stream ended", async () => !(await isLive("shared")));

    const rtmpHolder = publishRtmp(`rtmp://127.0.0.1:${svc.ready.rtmpPort}/live/shared?vhost=${DOMAIN}`, { seconds: 20 });
    await waitFor("rtmp stream live", () => isLive("shared"));
    expect((await ffmpegCaller("shared", { seconds: 3 }).exited).code).not.toBe(0);
    expect((await liveStreams()).find((s) => s.streamName === "shared")).toMatchObject({ protocol: "rtmp" });
    await rtmpHolder.kill();
  });
});

describe("SRT ingest on shutdown", () => {
  it("relays SRT in the service process (no worker holds the stream id); after SIGKILL of the service the destination sees the caller vanish", async () => {
    const dir = makeTmpDir("srt-orphan");
    const svc = await startService();
    const call = apiClient(svc);
    const clip = await makeTestTs(path.join(dir, "clip.ts"), 8, 1500, { audio: true });
    const port = await freeUdpPort();
    const dest = srtDestination(port, path.join(dir, "orphan.ts"));
    const created = await call("POST", `/v1/domains/${DOMAIN}/relay-templates`, { appName: "live", streamName: "orphan", destinationUrl: dest.url, mode: "always" });
    const pub = spawnFfmpegPublisher({ port: Number(svc.ready.srtPort), streamId: streamId("orphan"), file: clip, seconds: 60 });
    await waitFor("relaying", async () => (await call("GET", `/v1/domains/${DOMAIN}/relay-templates/${created.body.id}/status`)).body.state === "relaying");
    expect(pidsMatching("dest-key")).toEqual([]);
    expect(pidsMatching("-i pipe:0").filter((pid) => pidsMatching(`127.0.0.1:${port}`).includes(pid))).toEqual([]);
    await svc.kill();
    // ffmpeg's SRT input gives up after libsrt's 5 s peer idle timeout and exits.
    const gone = await Promise.race([dest.exited.then(() => true), new Promise((r) => setTimeout(() => r(false), 15_000))]);
    expect(gone).toBe(true);
    expect(codecs(probe(dest.file))).toEqual(["audio:aac", "video:h264"]);
    pub.kill("SIGKILL");
    await dest.kill("SIGKILL");
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it("SIGTERM ends live SRT streams and the service exits 0 promptly", async () => {
    const dir = makeTmpDir("srt-stop");
    const svc = await startService();
    const clip = await makeTestTs(path.join(dir, "clip.ts"), 8, 1500, { audio: true });
    const pub = spawnFfmpegPublisher({ port: Number(svc.ready.srtPort), streamId: streamId("bye"), file: clip });
    const call = apiClient(svc);
    await waitFor("live", async () => (await call("GET", `/v1/domains/${DOMAIN}/streams`)).body.items.length === 1);
    const { code, ms } = await svc.stop();
    expect(code).toBe(0);
    expect(ms).toBeLessThan(5_000);
    expect(svc.logs().some((l) => l.msg === "publish ended" && l.reason === "server-close")).toBe(true);
    pub.kill("SIGKILL");
    fs.rmSync(dir, { recursive: true, force: true });
  });
});

/** Random datagrams, a third of them with the SRT control bit and handshake type set. */
async function sendGarbage(port: number, count: number): Promise<void> {
  const sock = dgram.createSocket("udp4");
  for (let i = 0; i < count; i++) {
    const buf = crypto.randomBytes(16 + crypto.randomInt(1400));
    if (i % 3 === 0) buf.writeUInt32BE(0x80000000, 0);
    await new Promise<void>((resolve) => sock.send(buf, port, "127.0.0.1", () => resolve()));
  }
  sock.close();
}
