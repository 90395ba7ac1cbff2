import net from "node:net";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { apiClient, startService, type ServiceHandle } from "../../helpers/service";
import { codecs, freePort, probe, publishGstreamer, publishRtmp, rtmpDestination, tmpDir, waitFor } from "../../helpers/relay";

const DOMAIN = "shows.example.com";

describe("RTMP relays (real ffmpeg on loopback)", () => {
  let svc: ServiceHandle;
  let call: ReturnType<typeof apiClient>;
  let ingest: string;
  const dir = tmpDir();

  beforeAll(async () => {
    svc = await startService();
    call = apiClient(svc);
    ingest = `rtmp://127.0.0.1:${svc.ready.rtmpPort}`;
  });
  afterAll(() => svc?.stop());

  const createTemplate = async (streamName: string, destinationUrl: string, over: Record<string, unknown> = {}, domain = DOMAIN) => {
    const res = await call("POST", `/v1/domains/${domain}/relay-templates`, { appName: "live", streamName, destinationUrl, mode: "always", ...over });
    expect(res.status).toBe(201);
    return res.body.id as string;
  };
  const status = async (id: string, domain = DOMAIN) => (await call("GET", `/v1/domains/${domain}/relay-templates/${id}/status`)).body;
  const waitState = (id: string, state: string, timeoutMs = 15_000, domain = DOMAIN) =>
    waitFor(`state ${state}`, async () => {
      const s = await status(id, domain);
      return s.state === state && s;
    }, timeoutMs);

  it("always-on: the destination gets decodable H.264 + AAC for the published duration", async () => {
    const dest = rtmpDestination(await freePort(), path.join(dir, "always.flv"));
    const id = await createTemplate("always", dest.url);
    expect((await status(id)).state).toBe("waiting");
    const pub = publishRtmp(`${ingest}/live/always?vhost=${DOMAIN}`, { seconds: 6 });
    const relaying = await waitState(id, "relaying");
    expect(relaying.restarts).toBe(0);
    const streams = (await call("GET", `/v1/domains/${DOMAIN}/streams`)).body.items;
    expect(streams).toContainEqual(expect.objectContaining({ appName: "live", streamName: "always", protocol: "rtmp", videoCodec: "h264", audioCodec: "aac", width: 640, height: 360 }));
    expect(await pub.exited).toBe(0);
    await dest.exited;
    await waitState(id, "waiting");
    const p = probe(dest.file);
    expect(codecs(p)).toEqual(["audio:aac", "video:h264"]);
    expect(p.duration).toBeGreaterThan(4.5);
    expect(p.duration).toBeLessThan(7.5);
    const after = await status(id);
    expect(after.bytesOut).toBeGreaterThan(100_000);
    const metrics = await call("GET", "/metrics");
    expect(metrics.body).toMatch(/liverelay_relay_bytes_out_total [1-9]/);
    expect(metrics.body).toMatch(/liverelay_relays\{state="waiting"\} [1-9]/);
  });

  it("a window opening in a few seconds: inactive, then relaying from startTime", async () => {
    const dest = rtmpDestination(await freePort(), path.join(dir, "window.flv"));
    const start = new Date(Date.now() + 4_000);
    const id = await createTemplate("window", dest.url, { mode: "time", startTime: start.toISOString(), endTime: new Date(start.getTime() + 3600_000).toISOString() });
    const pub = publishRtmp(`${ingest}/live/window?vhost=${DOMAIN}`, { seconds: 10 });
    await waitFor("publisher live", async () => (await call("GET", `/v1/domains/${DOMAIN}/streams`)).body.items.some((s: { streamName: string }) => s.streamName === "window"));
    const liveAt = Date.now(); // no earlier than the publisher went live
    expect((await status(id)).state).toBe("inactive");
    await waitState(id, "relaying");
    expect(Date.now()).toBeGreaterThanOrEqual(start.getTime());
    await pub.exited;
    await dest.exited;
    const p = probe(dest.file);
    expect(p.duration).toBeGreaterThan(3);
    // what was published after the window opened, plus at most the cached GOP (2 s) it starts with
    expect(p.duration).toBeLessThan(10 - (start.getTime() - liveAt) / 1000 + 2.5);
  });

  it("DELETE stops the relay at once; the destination sees the end", async () => {
    const dest = rtmpDestination(await freePort(), path.join(dir, "delete.flv"));
    const id = await createTemplate("delete", dest.url);
    const pub = publishRtmp(`${ingest}/live/delete?vhost=${DOMAIN}`, { seconds: 30 });
    await waitState(id, "relaying");
    const t0 = Date.now();
    expect((await call("DELETE", `/v1/domains/${DOMAIN}/relay-templates/${id}`)).status).toBe(204);
    await dest.exited;
    const stoppedAfterMs = Date.now() - t0;
    expect(stoppedAfterMs).toBeLessThan(3_000); // requirement is 1 s; generous bound for 2 shared cores
    expect((await call("GET", `/v1/domains/${DOMAIN}/relays`)).body.items.map((r: { templateId: string }) => r.templateId)).not.toContain(id);
    expect(pub.child.exitCode).toBeNull(); // the publisher is unaffected
    await pub.kill();
  });

  it("destination drop and return: retrying with DestinationFailed (then ConnectionRefused), then relaying again", async () => {
    const port = await freePort();
    const first = rtmpDestination(port, path.join(dir, "drop-1.flv"));
    const id = await createTemplate("drop", first.url);
    const pub = publishRtmp(`${ingest}/live/drop?vhost=${DOMAIN}`, { seconds: 40 });
    await waitState(id, "relaying");
    await first.kill("SIGKILL");
    const failed = await waitFor("retrying", async () => {
      const s = await status(id);
      // the drop itself, or already the next attempt finding nothing listening
      return s.restarts >= 1 && ["DestinationFailed", "ConnectionRefused"].includes(s.lastError?.code) && s;
    });
    expect(failed.lastError.message).not.toContain("key");
    const second = rtmpDestination(port, path.join(dir, "drop-2.flv"));
    const back = await waitState(id, "relaying", 20_000);
    expect(back.restarts).toBeGreaterThanOrEqual(1);
    await new Promise((r) => setTimeout(r, 3_000));
    await pub.kill();
    await second.exited;
    const p = probe(second.file);
    expect(codecs(p)).toEqual(["audio:aac", "video:h264"]);
    expect(p.duration).toBeGreaterThan(2);
  });

  it("two destinations for one stream both get it", async () => {
    const a = rtmpDestination(await freePort(), path.join(dir, "two-a.flv"));
    const b = rtmpDestination(await freePort(), path.join(dir, "two-b.flv"));
    const ids = [await createTemplate("two", a.url), await createTemplate("two", b.url)];
    const pub = publishRtmp(`${ingest}/live/two?vhost=${DOMAIN}`, { seconds: 5 });
    for (const id of ids) await waitState(id, "relaying");
    await pub.exited;
    await Promise.all([a.exited, b.exited]);
    for (const d of [a, b]) {
      const p = probe(d.file);
      expect(codecs(p)).toEqual(["audio:aac", "video:h264"]);
      expect(p.duration).toBeGreaterThan(3.5);
    }
  });

  it("publisher leaving and returning: waiting, then relaying again", async () => {
    const port = await freePort();
    const first = rtmpDestination(port, path.join(dir, "return-1.flv"));
    const id = await createTemplate("return", first.url);
    const pub1 = publishRtmp(`${ingest}/live/return?vhost=${DOMAIN}`, { seconds: 3 });
    await waitState(id, "relaying");
    await pub1.exited;
    await waitState(id, "waiting");
    await first.exited;
    const second = rtmpDestination(port, path.join(dir, "return-2.flv"));
    const pub2 = publishRtmp(`${ingest}/live/return?vhost=${DOMAIN}`, { seconds: 4 });
    await waitState(id, "relaying");
    await pub2.exited;
    await second.exited;
    expect(codecs(probe(second.file))).toEqual(["audio:aac", "video:h264"]);
  });

  it("a second publisher on a live stream is refused; the first keeps going", async () => {
    const dest = rtmpDestination(await freePort(), path.join(dir, "dup.flv"));
    const id = await createTemplate("dup", dest.url);
    const first = publishRtmp(`${ingest}/live/dup?vhost=${DOMAIN}`, { seconds: 8 });
    await waitState(id, "relaying");
    const second = publishRtmp(`${ingest}/live/dup?vhost=${DOMAIN}`, { seconds: 3 });
    expect(await second.exited).not.toBe(0);
    expect((await status(id)).state).toBe("relaying");
    expect(await first.exited).toBe(0);
    await dest.exited;
    expect(probe(dest.file).duration).toBeGreaterThan(6);
  });

  it("protocol mismatch: an RTMP stream with an srt destination reports error/ProtocolMismatch and starts nothing", async () => {
    const id = await createTemplate("mismatch", "srt://127.0.0.1:9999?streamid=x");
    const pub = publishRtmp(`${ingest}/live/mismatch?vhost=${DOMAIN}`, { seconds: 20 });
    const s = await waitState(id, "error");
    expect(s.lastError.code).toBe("ProtocolMismatch");
    expect(s.restarts).toBe(0);
    await pub.kill();
  });

  it("GStreamer's rtmp2sink is accepted and relayed", async () => {
    const dest = rtmpDestination(await freePort(), path.join(dir, "gst.flv"));
    const id = await createTemplate("gst", dest.url);
    const pub = publishGstreamer(`${ingest}/live/gst?vhost=${DOMAIN}`, 5);
    await waitState(id, "relaying");
    await pub.exited;
    await dest.exited;
    const p = probe(dest.file);
    expect(codecs(p)).toEqual(["audio:aac", "video:h264"]);
    expect(p.duration).toBeGreaterThan(3);
  });

  it("cross-domain relay: a → this service's ingest in domain b, where b's templates apply", async () => {
    const dest = rtmpDestination(await freePort(), path.join(dir, "cross.flv"));
    const toB = await createTemplate("cross", `${ingest}/live/cross?vhost=b.example.com`, {}, "a.example.com");
    const fromB = await createTemplate("cross", dest.url, {}, "b.example.com");
    const pub = publishRtmp(`${ingest}/live/cross?vhost=a.example.com`, { seconds: 6 });
    await waitState(toB, "relaying", 15_000, "a.example.com");
    await waitState(fromB, "relaying", 15_000, "b.example.com");
    await pub.exited;
    await dest.exited;
    expect(codecs(probe(dest.file))).toEqual(["audio:aac", "video:h264"]);
  });

  it("a relay loop (c → d → c) is refused with RelayLoop; c → d keeps relaying", async () => {
    const cd = await createTemplate("loop", `${ingest}/live/loop?vhost=d.example.com`, {}, "c.example.com");
    const dc = await call("POST", "/v1/domains/d.example.com/relay-templates", { appName: "live", streamName: "loop", destinationUrl: `rtmp://localhost:${svc.ready.rtmpPort}/live/loop?vhost=c.example.com`, mode: "always" });
    expect({ status: dc.status, code: dc.body.error?.code }).toEqual({ status: 409, code: "RelayLoop" });
    expect(dc.body.error.message).toContain(cd);
    const pub = publishRtmp(`${ingest}/live/loop?vhost=c.example.com`, { seconds: 4 });
    await waitState(cd, "relaying", 10_000, "c.example.com");
    await pub.exited;
  });

  it("PATCH moving the window to the future stops the relay (inactive)", async () => {
    const dest = rtmpDestination(await freePort(), path.join(dir, "patch.flv"));
    const id = await createTemplate("patch", dest.url);
    const pub = publishRtmp(`${ingest}/live/patch?vhost=${DOMAIN}`, { seconds: 30 });
    await waitState(id, "relaying");
    const start = new Date(Date.now() + 3600_000);
    const patched = await call("PATCH", `/v1/domains/${DOMAIN}/relay-templates/${id}`, { mode: "time", startTime: start.toISOString(), endTime: new Date(start.getTime() + 3600_000).toISOString() });
    expect(patched.status).toBe(200);
    await waitState(id, "inactive", 3_000);
    await dest.exited;
    await pub.kill();
  });

  it("a destination that accepts TCP but never answers is restarted (stall / write timeout)", async () => {
    const sockets: net.Socket[] = [];
    const blackhole = net.createServer((s) => sockets.push(s)); // accepts, never speaks RTMP
    await new Promise<void>((r) => blackhole.listen(0, "127.0.0.1", r));
    const port = (blackhole.address() as net.AddressInfo).port;
    const id = await createTemplate("stuck", `rtmp://127.0.0.1:${port}/app/key`);
    const pub = publishRtmp(`${ingest}/live/stuck?vhost=${DOMAIN}`, { seconds: 60 });
    const s = await waitFor("restart after stall", async () => {
      const st = await status(id);
      return st.restarts >= 1 && st;
    }, 40_000, 500);
    expect(["Stalled", "DestinationFailed", "Timeout"]).toContain(s.lastError.code);
    expect(sockets.length).toBeGreaterThanOrEqual(1);
    await pub.kill();
    for (const sock of sockets) sock.destroy();
    blackhole.close();
  }, 60_000);

  it("keeps stream keys out of logs and status", () => {
    const text = svc.output.join("\n");
    expect(text).not.toMatch(/app\/key/);
  });
});
