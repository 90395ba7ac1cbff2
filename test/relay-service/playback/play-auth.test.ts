import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { apiClient, startService, type ServiceHandle } from "../../helpers/service";
import { killAllSpawned, makeTempDir, waitFor } from "../../helpers/media";
import { ffmpegPlay, playedMedia, publishRtmp, publishSrt, signedQuery } from "../../helpers/playback";

const SIGNED = "signed.example.com"; // ingest auth with a play key
const NOKEY = "nokey.example.com"; // no play key, not open: only the API token reads
const PUBLISH_KEY = "publish-key-0123456789";
const PLAY_KEY = "play-key-abcdefghijklmnop";

/** Reads are authorised: the API token (HTTP), a URL signed with the play key, or open playback; else refused per protocol. */
describe("playback authorisation", () => {
  let service: ServiceHandle;
  let call: ReturnType<typeof apiClient>;
  const tmp = makeTempDir("liverelay-play-auth-");
  let rtmpPort: number;
  let srtPort: number;
  const usedAuthKeys: string[] = [];
  const sign = (stream: string, key = PLAY_KEY) => {
    const q = signedQuery(stream, key);
    usedAuthKeys.push(q.slice("auth_key=".length));
    return q;
  };
  const get = (path: string, headers: Record<string, string> = {}) => fetch(service.url + path, { headers });

  beforeAll(async () => {
    service = await startService();
    call = apiClient(service);
    rtmpPort = Number(service.ready.rtmpPort);
    srtPort = Number(service.ready.srtPort);
    expect((await call("PUT", `/v1/domains/${SIGNED}/ingest-auth`, { key: PUBLISH_KEY, playKey: PLAY_KEY })).body).toMatchObject({ enabled: true, playKeySet: true });
    const publishQuery = (stream: string) => signedQuery(stream, PUBLISH_KEY);
    publishRtmp(rtmpPort, "cam", SIGNED, 60, publishQuery("cam"));
    publishSrt(srtPort, "feed", SIGNED, 60, publishQuery("feed"));
    publishRtmp(rtmpPort, "cam", NOKEY, 60);
    const live = async (domain: string, n: number) => (await call("GET", `/v1/domains/${domain}/streams`)).body.items.length === n;
    await waitFor(async () => (await live(SIGNED, 2)) && (await live(NOKEY, 1)), { timeoutMs: 20_000, what: "streams live" });
  }, 40_000);

  afterAll(async () => {
    killAllSpawned();
    await service?.stop();
    tmp.cleanup();
  });

  it("ingest-auth takes a playKey and never returns it; ingest-settings takes openPlayback", async () => {
    const got = await call("GET", `/v1/domains/${SIGNED}/ingest-auth`);
    expect(got.body).toEqual({ domain: SIGNED, enabled: true, srtPassphraseSet: false, playKeySet: true, updatedAt: expect.any(String) });
    expect(JSON.stringify(got.body)).not.toContain(PLAY_KEY);
    expect((await call("PUT", `/v1/domains/${SIGNED}/ingest-auth`, { key: PUBLISH_KEY, playKey: "short" })).status).toBe(400);
    const settings = await call("GET", `/v1/domains/${NOKEY}/ingest-settings`);
    expect(settings.body).toEqual({ domain: NOKEY, publisherTakeover: false, openPlayback: false, updatedAt: null });
    expect((await call("PUT", `/v1/domains/${NOKEY}/ingest-settings`, { openPlayback: "yes" })).status).toBe(400);
  });

  it("HTTP-FLV: 401 without credentials or with a wrong token, 403 for a bad signature or a domain without play key, 404 when not live; the token and a signed URL read", async () => {
    const flv = (domain: string, stream: string, query = "") => `/live/${domain}/live/${stream}.flv${query ? `?${query}` : ""}`;
    const none = await get(flv(SIGNED, "cam"));
    expect(none.status).toBe(401);
    expect(none.headers.get("access-control-allow-origin")).toBe("*");
    expect(((await none.json()) as { error: { code: string } }).error.code).toBe("Unauthorized");
    expect((await get(flv(SIGNED, "cam"), { authorization: "Bearer wrong-token-0123456789" })).status).toBe(401);
    const bad = await get(flv(SIGNED, "cam", sign("cam", "another-key-0123456789")));
    expect(bad.status).toBe(403);
    expect(((await bad.json()) as { error: unknown }).error).toMatchObject({ code: "Forbidden", message: "auth_key mismatch" });
    expect((await get(flv(SIGNED, "cam", sign("other")))).status).toBe(403); // signed for another stream
    expect((await get(flv(NOKEY, "cam", sign("cam")))).status).toBe(403);
    expect((await get(flv(SIGNED, "absent"), { authorization: `Bearer ${service.token}` })).status).toBe(404);
    expect((await get(flv(SIGNED, "absent"))).status).toBe(401); // credentials first: no probing what is live
    for (const [path, headers] of [[flv(SIGNED, "cam", sign("cam")), {}], [flv(NOKEY, "cam"), { authorization: `Bearer ${service.token}` }]] as const) {
      const res = await get(path, headers);
      expect(res.status).toBe(200);
      expect(res.headers.get("content-type")).toBe("video/x-flv");
      const reader = res.body!.getReader();
      const first = await reader.read();
      expect(Buffer.from(first.value!).subarray(0, 3).toString()).toBe("FLV");
      await reader.cancel();
    }
  });

  it("HLS: refused the same way; a signed master playlist carries the signature into the media playlist and segments; CORS preflight allows a bearer", async () => {
    expect((await get(`/live/${SIGNED}/live/feed.m3u8`)).status).toBe(401);
    expect((await get(`/live/${SIGNED}/live/feed.m3u8?auth_key=1-a-b-00000000000000000000000000000000`)).status).toBe(403);
    const preflight = await fetch(`${service.url}/live/${SIGNED}/live/feed.m3u8`, {
      method: "OPTIONS",
      headers: { origin: "http://console.example", "access-control-request-method": "GET", "access-control-request-headers": "authorization" },
    });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get("access-control-allow-origin")).toBe("*");
    expect(preflight.headers.get("access-control-allow-headers")).toContain("authorization");
    const query = sign("feed");
    const master = await get(`/live/${SIGNED}/live/feed.m3u8?${query}`);
    expect(master.status).toBe(200);
    const mediaUri = (await master.text()).split("\n").find((l) => l.startsWith("feed.m3u8?"))!;
    expect(mediaUri).toContain(query);
    const media = await (await get(`/live/${SIGNED}/live/${mediaUri}`)).text();
    const segmentUri = media.split("\n").find((l) => l.startsWith("feed/"))!;
    expect(segmentUri).toMatch(/^feed\/\d+\.ts\?session=[\w-]+&auth_key=/);
    const segment = await get(`/live/${SIGNED}/live/${segmentUri}`);
    expect(segment.status).toBe(200);
    expect(segment.headers.get("content-type")).toBe("video/mp2t");
    expect(Buffer.from(await segment.arrayBuffer())[0]).toBe(0x47);
    expect((await get(`/live/${SIGNED}/live/${segmentUri.split("?")[0]}`)).status).toBe(401);
    expect((await get(`/live/${SIGNED}/live/feed.m3u8`, { authorization: `Bearer ${service.token}` })).status).toBe(200);
  }, 30_000);

  it("RTMP play: refused without or with a bad auth_key (NetStream.Play.Failed), played with a signed URL", async () => {
    const url = (query: string) => `rtmp://127.0.0.1:${rtmpPort}/live/cam?vhost=${SIGNED}${query ? `&${query}` : ""}`;
    const refused = await ffmpegPlay(url(""), `${tmp.dir}/refused.mkv`, 1);
    expect(refused.code).not.toBe(0);
    const forged = await ffmpegPlay(url(sign("cam", "another-key-0123456789")), `${tmp.dir}/forged.mkv`, 1);
    expect(forged.code).not.toBe(0);
    const signed = await ffmpegPlay(url(sign("cam")), `${tmp.dir}/signed.mkv`, 2);
    expect(signed.code, signed.stderr).toBe(0);
    expect((await playedMedia(`${tmp.dir}/signed.mkv`)).videoFrames).toBeGreaterThan(30);
    const logs = service.logs().filter((l) => l.msg === "play refused");
    expect(logs.map((l) => l.code)).toEqual(expect.arrayContaining(["Unauthorized", "Forbidden"]));
  }, 60_000);

  it("SRT read: a caller without or with a bad auth_key is rejected at the handshake; a signed one reads", async () => {
    const url = (query: string) => `srt://127.0.0.1:${srtPort}?streamid=#!::h=${SIGNED},r=live/feed${query ? `?${query}` : ""},m=request`;
    const refused = await ffmpegPlay(url(""), `${tmp.dir}/srt-refused.mkv`, 1);
    expect(refused.code).not.toBe(0);
    const forged = await ffmpegPlay(url(sign("feed", "another-key-0123456789")), `${tmp.dir}/srt-forged.mkv`, 1);
    expect(forged.code).not.toBe(0);
    const signed = await ffmpegPlay(url(sign("feed")), `${tmp.dir}/srt-signed.mkv`, 2);
    expect(signed.code, signed.stderr).toBe(0);
    expect((await playedMedia(`${tmp.dir}/srt-signed.mkv`)).videoFrames).toBeGreaterThan(30);
  }, 60_000);

  it("neither the play key nor any auth_key appears in the service's output", () => {
    const output = service.output.join("\n");
    expect(output).not.toContain(PLAY_KEY);
    for (const key of usedAuthKeys) expect(output).not.toContain(key);
  });
});
