import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { signAuthKey } from "../../../relay-service/src/ingest/url-signing";
import { apiClient, startService, type ServiceHandle } from "../../helpers/service";
import { probe, publishRtmp, tmpDir, waitFor } from "../../helpers/relay";
import { startNginxRtmp, type NginxRtmp } from "../../helpers/nginx-rtmp";
import { makeTestTs, spawnFfmpegPublisher } from "../../helpers/srt";

const KEY = "takeover-signing-key-0123456789";
const TAKEOVER = "takeover.example.com";
const NO_TAKEOVER = "keep.example.com";
const OPEN = "open.example.com"; // takeover on, but no ingest auth: nobody is authenticated
const FRESH = "settings.example.com"; // never configured before its test

const signed = (streamName: string) => signAuthKey({ appName: "live", streamName, key: KEY, expiresAt: new Date(Date.now() + 600_000) });

describe("publisher takeover (ingest-settings)", () => {
  let svc: ServiceHandle;
  let call: ReturnType<typeof apiClient>;
  let ingest: string;
  let nginx: NginxRtmp;

  beforeAll(async () => {
    nginx = await startNginxRtmp();
    svc = await startService();
    call = apiClient(svc);
    ingest = `rtmp://127.0.0.1:${svc.ready.rtmpPort}`;
    for (const domain of [TAKEOVER, NO_TAKEOVER]) expect((await call("PUT", `/v1/domains/${domain}/ingest-auth`, { key: KEY })).status).toBe(200);
    for (const domain of [TAKEOVER, OPEN]) expect((await call("PUT", `/v1/domains/${domain}/ingest-settings`, { publisherTakeover: true })).status).toBe(200);
  });
  afterAll(async () => {
    await svc?.stop();
    await nginx?.stop();
  });

  const rtmpUrl = (domain: string, streamName: string, auth = true) =>
    `${ingest}/live/${streamName}?${auth ? `auth_key=${signed(streamName)}&` : ""}vhost=${domain}`;
  const liveStream = async (domain: string, streamName: string) =>
    ((await call("GET", `/v1/domains/${domain}/streams`)).body.items as { streamName: string; startedAt: string }[]).find((s) => s.streamName === streamName);

  it("GET answers the defaults for a domain never configured; PUT validates its body and persists", async () => {
    const path = `/v1/domains/${FRESH}/ingest-settings`;
    expect(await call("GET", path)).toMatchObject({ status: 200, body: { domain: FRESH, publisherTakeover: false, updatedAt: null } });
    for (const bad of [{ publisherTakeover: "yes" }, { publisherTakeover: 1 }, { publisherTakeover: true, extra: 1 }, null, []]) {
      const res = await call("PUT", path, bad);
      expect(res.status, JSON.stringify(bad)).toBe(400);
    }
    expect((await call("GET", path)).body.publisherTakeover).toBe(false);
    const put = await call("PUT", path, { publisherTakeover: true });
    expect(put).toMatchObject({ status: 200, body: { domain: FRESH, publisherTakeover: true } });
    expect(typeof put.body.updatedAt).toBe("string");
    expect((await call("GET", path)).body).toEqual(put.body);
    expect((await call("PUT", path, { publisherTakeover: false })).body.publisherTakeover).toBe(false);
    // PUT replaces: a setting left out is off, so an empty body turns everything off.
    expect((await call("PUT", path, { publisherTakeover: true })).body.publisherTakeover).toBe(true);
    expect((await call("PUT", path, {})).body).toMatchObject({ publisherTakeover: false, openPlayback: false });
    expect((await call("PUT", `/v1/domains/-bad-/ingest-settings`, { publisherTakeover: true })).status).toBe(400);
  });

  it("RTMP: a second authenticated publisher takes the key over; the relay resumes on the new publication", async () => {
    const destination = `${nginx.rtmpUrl}/sink/takeover-rtmp`;
    const created = await call("POST", `/v1/domains/${TAKEOVER}/relay-templates`, { appName: "live", streamName: "show", destinationUrl: destination, mode: "always" });
    expect(created.status).toBe(201);
    const relayState = async () => (await call("GET", `/v1/domains/${TAKEOVER}/relay-templates/${created.body.id}/status`)).body.state as string;

    // The first encoder: small frames, long enough to still be live when the second arrives.
    const first = publishRtmp(rtmpUrl(TAKEOVER, "show"), { seconds: 60, size: "320x180" });
    await waitFor("relaying the first publisher", async () => (await relayState()) === "relaying", 30_000);
    const before = (await liveStream(TAKEOVER, "show"))!.startedAt;

    const second = publishRtmp(rtmpUrl(TAKEOVER, "show"), { seconds: 8, size: "640x360" });
    const firstExit = await Promise.race([first.exited, new Promise<"running">((r) => setTimeout(() => r("running"), 15_000))]);
    expect(firstExit, "the first publisher is disconnected").not.toBe("running");
    expect(firstExit).not.toBe(0);
    await waitFor("a new publication", async () => ((await liveStream(TAKEOVER, "show"))?.startedAt ?? before) !== before, 10_000);
    await waitFor("relaying the second publisher", async () => (await relayState()) === "relaying", 20_000);

    expect(await second.exited, second.stderr()).toBe(0);
    await waitFor("relay back to waiting", async () => (await relayState()) === "waiting", 20_000);
    // nginx records each publication to the same file (record_unique off): after the takeover it holds the second one's media.
    const recorded = probe(path.join(nginx.recordDir, "takeover-rtmp.flv"));
    const video = recorded.streams.find((s) => s.codec_type === "video");
    expect(video?.width).toBe(640);
    expect(recorded.duration).toBeGreaterThan(3);
    expect(svc.output.join("\n")).toContain("a newer publisher took the stream over");
  });

  it("with takeover off (the default) the second publisher is refused and the first keeps the key", async () => {
    const first = publishRtmp(rtmpUrl(NO_TAKEOVER, "show"), { seconds: 20 });
    await waitFor("first live", async () => (await liveStream(NO_TAKEOVER, "show")) !== undefined, 20_000);
    const before = (await liveStream(NO_TAKEOVER, "show"))!.startedAt;
    const second = publishRtmp(rtmpUrl(NO_TAKEOVER, "show"), { seconds: 3 });
    expect(await second.exited).not.toBe(0);
    expect((await liveStream(NO_TAKEOVER, "show"))?.startedAt).toBe(before);
    expect(first.child.exitCode).toBeNull();
    await first.kill();
  });

  it("takeover needs an authenticated publisher: in a domain without ingest auth the second is refused", async () => {
    const first = publishRtmp(rtmpUrl(OPEN, "show", false), { seconds: 20 });
    await waitFor("first live", async () => (await liveStream(OPEN, "show")) !== undefined, 20_000);
    const before = (await liveStream(OPEN, "show"))!.startedAt;
    const second = publishRtmp(rtmpUrl(OPEN, "show", false), { seconds: 3 });
    expect(await second.exited).not.toBe(0);
    expect((await liveStream(OPEN, "show"))?.startedAt).toBe(before);
    await first.kill();
  });

  it("SRT: a second authenticated caller takes the key over and the first one's socket is closed", async () => {
    const clip = await makeTestTs(path.join(tmpDir(), "takeover.ts"), 30, 1000);
    const srtPort = Number(svc.ready.srtPort);
    const streamId = `#!::h=${TAKEOVER},r=live/srt-show?auth_key=${signed("srt-show")},m=publish`;
    const first = spawnFfmpegPublisher({ port: srtPort, streamId, file: clip });
    await waitFor("first live", async () => (await liveStream(TAKEOVER, "srt-show")) !== undefined, 20_000);
    const before = (await liveStream(TAKEOVER, "srt-show"))!.startedAt;

    const second = spawnFfmpegPublisher({ port: srtPort, streamId, file: clip });
    await waitFor("a new publication", async () => ((await liveStream(TAKEOVER, "srt-show"))?.startedAt ?? before) !== before, 15_000);
    // libsrt tells the first caller its peer closed; ffmpeg then fails its next write and exits.
    const firstExit = await Promise.race([first.exited, new Promise<"running">((r) => setTimeout(() => r("running"), 20_000))]);
    expect(firstExit, "the first caller is disconnected").not.toBe("running");
    expect((await liveStream(TAKEOVER, "srt-show"))?.startedAt).not.toBe(before);
    second.kill();
    await second.exited;
  });
});

describe("publisher takeover after a restart", () => {
  it("is persisted and in force from start (the gate's cache is loaded from the store)", async () => {
    const first = await startService();
    const firstCall = apiClient(first);
    expect((await firstCall("PUT", `/v1/domains/${TAKEOVER}/ingest-auth`, { key: KEY })).status).toBe(200);
    expect((await firstCall("PUT", `/v1/domains/${TAKEOVER}/ingest-settings`, { publisherTakeover: true })).status).toBe(200);
    await first.stop();

    const svc = await startService({ dataDir: first.dataDir });
    try {
      const call = apiClient(svc);
      expect((await call("GET", `/v1/domains/${TAKEOVER}/ingest-settings`)).body.publisherTakeover).toBe(true);
      const url = `rtmp://127.0.0.1:${svc.ready.rtmpPort}/live/again?auth_key=${signed("again")}&vhost=${TAKEOVER}`;
      const old = publishRtmp(url, { seconds: 30 });
      const live = async () => ((await call("GET", `/v1/domains/${TAKEOVER}/streams`)).body.items as { startedAt: string }[])[0];
      await waitFor("first live", async () => (await live()) !== undefined, 20_000);
      const before = (await live()).startedAt;
      const newer = publishRtmp(url, { seconds: 3 });
      expect(await old.exited).not.toBe(0);
      await waitFor("taken over", async () => ((await live())?.startedAt ?? before) !== before, 10_000);
      expect(await newer.exited).toBe(0);
    } finally {
      await svc.stop();
    }
  });
});
