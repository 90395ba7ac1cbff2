import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { apiClient, startService, type ServiceHandle } from "../../helpers/service";
import { startPostgres, type PostgresServer } from "../../helpers/postgres";
import { killAllSpawned, makeTempDir, waitFor, type RunningProcess } from "../../helpers/media";
import { ffmpegPlay, playedMedia, publishRtmp, signedQuery } from "../../helpers/playback";

const DOMAIN = "nodes.example.com";
const PUBLISH_KEY = "publish-key-0123456789";
const PLAY_KEY = "play-key-abcdefghijklmnop";

/**
 * What stays on the node holding a stream, on real nodes sharing one PostgreSQL: its recording
 * (another node starting leaves it alone) and its playback (other nodes send HTTP players there
 * and refuse RTMP players, naming the holder).
 */
describe("media on the node that holds the stream", () => {
  let pg: PostgresServer;
  let storeUrl: string;
  const nodes: ServiceHandle[] = [];
  let publisher: RunningProcess;
  const tmp = makeTempDir("liverelay-node-media-");
  const call = (i: number) => apiClient(nodes[i]);
  const recordings = async (i: number) => (await call(i)("GET", `/v1/domains/${DOMAIN}/recordings?streamName=cam`)).body.items as { id: string; endedAt: string | null; durationSeconds: number | null }[];
  const flvPath = `/live/${DOMAIN}/live/cam.flv?${signedQuery("cam", PLAY_KEY)}`;

  beforeAll(async () => {
    pg = await startPostgres();
    storeUrl = await pg.createDatabase("nodemedia");
    nodes.push(...(await Promise.all(["n1", "n2"].map((id) => startService({ env: { LIVERELAY_STORE: storeUrl }, args: ["--node-id", id] })))));
    expect((await call(1)("PUT", `/v1/domains/${DOMAIN}/ingest-auth`, { key: PUBLISH_KEY, playKey: PLAY_KEY })).status).toBe(200);
    expect((await call(1)("PUT", `/v1/domains/${DOMAIN}/apps/live/recording-config`, { format: "mp4", segmentSeconds: 60 })).status).toBe(200);
    publisher = publishRtmp(Number(nodes[1].ready.rtmpPort), "cam", DOMAIN, 16, signedQuery("cam", PUBLISH_KEY));
    await waitFor(async () => (await recordings(1)).some((r) => r.endedAt === null), { timeoutMs: 20_000, what: "node 2 recording" });
  }, 90_000);

  afterAll(async () => {
    killAllSpawned();
    await Promise.all(nodes.map((n) => n.stop()));
    await pg?.stop();
    tmp.cleanup();
  });

  it("a node starting while another records leaves that recording open (it is not its own to recover)", async () => {
    // n3 binds the wildcard address without --public-host: it advertises no HTTP address (last test).
    nodes.push(await startService({ env: { LIVERELAY_STORE: storeUrl }, args: ["--node-id", "n3", "--host", "0.0.0.0"] }));
    await new Promise((r) => setTimeout(r, 3_000)); // the start-up recovery runs right after the start
    expect(nodes[2].logs().filter((l) => l.msg === "recording left open by a previous run closed")).toEqual([]);
    const [rec] = await recordings(2);
    expect(rec).toMatchObject({ endedAt: null, durationSeconds: null });
  }, 60_000);

  it("HTTP reads on a node that does not hold the stream: 307 to the holder, same path and query, no credentials added", async () => {
    const res = await waitFor(async () => {
      const r = await fetch(nodes[0].url + flvPath, { redirect: "manual" });
      return r.status === 307 ? r : null;
    }, { timeoutMs: 15_000, what: "node 1 redirects" });
    expect(res.headers.get("location")).toBe(nodes[1].url + flvPath);
    const hls = await fetch(`${nodes[0].url}/live/${DOMAIN}/live/cam.m3u8`, { redirect: "manual", headers: { authorization: `Bearer ${nodes[0].token}` } });
    expect(hls.status).toBe(307);
    expect(hls.headers.get("location")).toBe(`${nodes[1].url}/live/${DOMAIN}/live/cam.m3u8`);
    // Credentials first: an unauthorised peer learns nothing of where the stream is.
    expect((await fetch(`${nodes[0].url}/live/${DOMAIN}/live/cam.flv`, { redirect: "manual" })).status).toBe(401);

    const run = await ffmpegPlay(nodes[0].url + flvPath, `${tmp.dir}/followed.mkv`, 3);
    expect(run.code, run.stderr).toBe(0);
    const media = await playedMedia(`${tmp.dir}/followed.mkv`);
    expect(media.videoCodec).toBe("h264");
    expect(media.videoFrames).toBeGreaterThanOrEqual(60);
  }, 60_000);

  it("RTMP play and SRT read on a node that does not hold the stream are refused, naming the holder", async () => {
    const rtmp = await ffmpegPlay(`rtmp://127.0.0.1:${nodes[0].ready.rtmpPort}/live/cam?vhost=${DOMAIN}&${signedQuery("cam", PLAY_KEY)}`, `${tmp.dir}/rtmp.mkv`, 2);
    expect(rtmp.code).not.toBe(0);
    expect(rtmp.stderr).toContain("the stream is live on node n2");
    const srt = await ffmpegPlay(`srt://127.0.0.1:${nodes[0].ready.srtPort}?streamid=#!::h=${DOMAIN},r=live/cam?${signedQuery("cam", PLAY_KEY)},m=request`, `${tmp.dir}/srt.mkv`, 2);
    expect(srt.code).not.toBe(0);
    const refusals = nodes[0].logs().filter((l) => l.msg === "read of a stream another node holds" && l.holder === "n2");
    expect(refusals.map((l) => l.protocol).sort()).toEqual(expect.arrayContaining(["rtmp", "srt"]));
  }, 60_000);

  it("an HTTP read of a stream held by a node that advertises no HTTP address: 503 StreamElsewhere naming it", async () => {
    const side = publishRtmp(Number(nodes[2].ready.rtmpPort), "side", DOMAIN, 6, signedQuery("side", PUBLISH_KEY));
    const res = await waitFor(async () => {
      const r = await fetch(`${nodes[0].url}/live/${DOMAIN}/live/side.flv`, { headers: { authorization: `Bearer ${nodes[0].token}` }, redirect: "manual" });
      return r.status === 503 ? r : null;
    }, { timeoutMs: 15_000, what: "node 1 answers 503 for n3's stream" });
    expect((await res.json()).error).toMatchObject({ code: "StreamElsewhere", message: expect.stringContaining("node n3, which advertises no HTTP address") });
    side.child.kill("SIGKILL");
  }, 60_000);

  it("the writing node closes its recording when the publisher ends", async () => {
    await publisher.exited;
    const [rec] = await waitFor(async () => {
      const items = await recordings(1);
      return items.length === 1 && items[0].endedAt !== null ? items : null;
    }, { timeoutMs: 20_000, what: "recording finished" });
    expect(rec.durationSeconds).toBeGreaterThan(10);
  }, 60_000);
});
