import fs from "node:fs";
import path from "node:path";
import Database from "better-sqlite3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { apiClient, startService, type ServiceHandle } from "../../helpers/service";
import { codecs, probe, publishRtmp, waitFor, type Proc } from "../../helpers/relay";
import { startProcess } from "../../helpers/media";
import { DOMAIN, decodeErrors, mediaApi, waitLive, workerPids, type Worker } from "./support";

/** Where the rendition is relayed: this service's own ingest, in another domain (it takes a reconnect, unlike `ffmpeg -listen`). */
const RELAYED = "relayed.example.com";
const TINY = { appName: "live", video: { codec: "h264", height: 144, bitrateKbps: 200 }, audio: null };

describe("media workers: status, stall detection and restart (real ffmpeg on loopback)", () => {
  let svc: ServiceHandle;
  let api: ReturnType<typeof mediaApi>;
  let pub: Proc;
  let relayId: string;

  beforeAll(async () => {
    svc = await startService();
    api = mediaApi(svc);
    expect((await api.setRecording("live", { format: "mp4", segmentSeconds: 60 })).status).toBe(200);
    expect((await api.setSnapshots("live", { intervalSeconds: 1, keep: 2 })).status).toBe(200);
    expect((await api.putTemplate("tiny", TINY)).status).toBe(200);
    relayId = await api.relayTo("cam_tiny", `rtmp://127.0.0.1:${svc.ready.rtmpPort}/live/out?vhost=${RELAYED}`);
    // Long enough for a 10 s stall, the restart and a few seconds after it.
    pub = publishRtmp(`rtmp://127.0.0.1:${svc.ready.rtmpPort}/live/cam?vhost=${DOMAIN}`, { seconds: 50, size: "320x180", rate: 25 });
  });
  afterAll(async () => {
    await pub?.kill();
    await svc?.stop();
  });

  const workers = () => api.processing("live", "cam");
  const allRunning = () =>
    waitFor("transcoder, snapshotter and recorder running", async () => {
      const w = await workers();
      return w.transcoder?.state === "running" && w.snapshotter?.state === "running" && w.recorder?.state === "running" && (w as Record<string, Worker>);
    }, 30_000);
  const metrics = async () => (await api.call("GET", "/metrics")).body as string;

  it("a live stream's recorder, snapshotter and transcoder report running with growing stats; /metrics counts them", async () => {
    const first = await allRunning();
    expect(first.recorder).toMatchObject({ id: "recorder:live/cam", appName: "live", streamName: "cam", restarts: 0 });
    expect(first.transcoder).toMatchObject({ id: "transcoder:live/cam:tiny", templateId: "tiny" });
    const [open] = await api.recordings("?streamName=cam");
    expect(first.recorder!.stats.fileId).toBe(open.id);

    const later = await waitFor("every stat moved on", async () => {
      const w = await workers();
      const grown = w.recorder!.stats.bytesWritten > first.recorder!.stats.bytesWritten && w.recorder!.stats.lastWriteAt !== null;
      const newShot = w.snapshotter!.stats.lastSnapshotAt !== null && w.snapshotter!.stats.lastSnapshotAt !== first.snapshotter!.stats.lastSnapshotAt;
      return grown && newShot && w.transcoder!.stats.fps > 0 && w.transcoder!.stats.bitrateKbps > 0 && w;
    }, 20_000);
    expect(Date.parse(later.recorder!.stats.lastWriteAt as string)).toBeGreaterThan(Date.now() - 10_000);

    // The domain-wide list holds the same three; another domain sees none of them.
    const all = (await api.call("GET", `/v1/domains/${DOMAIN}/processing`)).body.items as Worker[];
    expect(all.map((w) => w.id).sort()).toEqual(["recorder:live/cam", "snapshotter:live/cam", "transcoder:live/cam:tiny"]);
    expect((await api.call("GET", `/v1/domains/${RELAYED}/processing`)).body.items).toEqual([]);
    expect((await api.call("GET", `/v1/domains/${DOMAIN}/streams/live/nope/processing`)).body.items).toEqual([]);

    const text = await metrics();
    for (const kind of ["recorder", "snapshotter", "transcoder"]) expect(text).toContain(`liverelay_media_workers{kind="${kind}",state="running"} 1`);
    expect(Number(/^liverelay_recorder_bytes_written_total (\d+)/m.exec(text)?.[1])).toBeGreaterThan(0);
  });

  it("SIGSTOP of the recorder's and the transcoder's ffmpeg: retrying with Stalled, then running again; recording continues in a new file; the rendition's relay resumes", async () => {
    await allRunning();
    await waitFor("the rendition relayed", async () => (await api.relayStatus(relayId)).state === "relaying", 20_000);
    const relayed = apiClient(svc);
    const [recorder] = workerPids(svc, "segment_list");
    const [transcoder] = workerPids(svc, "scale=-2:144");
    expect(recorder).toBeGreaterThan(0);
    expect(transcoder).toBeGreaterThan(0);
    const stoppedAt = Date.now();
    process.kill(recorder, "SIGSTOP");
    process.kill(transcoder, "SIGSTOP");

    // Within 20 s each is seen retrying with Stalled (the state lasts the kill and the backoff, a few seconds).
    const seen = new Set<string>();
    await waitFor("recorder and transcoder retrying with Stalled", async () => {
      const w = await workers();
      for (const kind of ["recorder", "transcoder"]) if (w[kind]?.state === "retrying" && w[kind]?.lastError?.code === "Stalled") seen.add(kind);
      return seen.size === 2;
    }, 20_000);
    expect(Date.now() - stoppedAt).toBeLessThan(25_000);

    const back = await allRunning();
    for (const kind of ["recorder", "transcoder"]) {
      expect(back[kind]).toMatchObject({ restarts: 1, lastError: { code: "Stalled" } });
      expect(back[kind]!.lastError!.message).toMatch(/no output for 10 s/);
    }
    expect(back.snapshotter).toMatchObject({ restarts: 0 });
    expect(svc.logs().some((l) => l.msg === "recorder stalled; restarting")).toBe(true);

    // The recording continues in a new file; the index shows the gap between the two.
    const rows = await waitFor("a second recording, the first finished", async () => {
      const items = await api.recordings("?streamName=cam");
      return items.length === 2 && items[0].endedAt !== null && items;
    });
    expect(back.recorder!.stats.fileId).toBe(rows[1].id);
    const gapMs = Date.parse(rows[1].startedAt) - Date.parse(rows[0].endedAt!);
    expect(gapMs).toBeGreaterThan(5_000);
    await waitFor("the new file grows", async () => (await workers()).recorder!.stats.bytesWritten > 0);

    // The rendition is live again and its relay delivers it afresh.
    await waitFor("the rendition's relay relaying again, into a fresh stream", async () => {
      const status = await api.relayStatus(relayId);
      const out = ((await relayed("GET", `/v1/domains/${RELAYED}/streams`)).body.items as { streamName: string; startedAt: string; bitrateKbps: number }[])[0];
      return status.state === "relaying" && out && Date.parse(out.startedAt) > stoppedAt && out.bitrateKbps > 0;
    }, 30_000);

    const text = await metrics();
    expect(text).toContain('liverelay_media_worker_restarts_total{kind="recorder"} 1');
    expect(text).toContain('liverelay_media_worker_restarts_total{kind="transcoder"} 1');

    // Each change was a domain event: the recorder went running → retrying (Stalled) → starting → running.
    const recorderStates = processingEvents(svc, "recorder:live/cam").map((e) => [e.from, e.to, e.lastError?.code ?? null]);
    expect(recorderStates).toEqual([
      [null, "starting", null],
      ["starting", "running", null],
      ["running", "retrying", "Stalled"],
      ["retrying", "starting", "Stalled"],
      ["starting", "running", "Stalled"],
    ]);

    // The stalled file was cut at its last whole fragment: it plays.
    const first = path.join(svc.dataDir, "recordings", DOMAIN, "live", "cam", fs.readdirSync(path.join(svc.dataDir, "recordings", DOMAIN, "live", "cam")).sort()[0]);
    expect(codecs(probe(first))).toEqual(["audio:aac", "video:h264"]);
    expect(decodeErrors(first)).toBe("");
  });

  it("an audio-only stream's transcoder and snapshotter wait in error (NoVideo); a rendition name published directly is RenditionNameTaken", async () => {
    expect((await api.setSnapshots("side", { intervalSeconds: 1, keep: 1 })).status).toBe(200);
    expect((await api.putTemplate("t2", { ...TINY, appName: "side" })).status).toBe(200);
    const ingest = (stream: string) => `rtmp://127.0.0.1:${svc.ready.rtmpPort}/side/${stream}?vhost=${DOMAIN}`;
    const radio = startProcess("ffmpeg", ["-hide_banner", "-loglevel", "error", "-re", "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000", "-t", "12", "-c:a", "aac", "-f", "flv", ingest("radio")]);
    const direct = publishRtmp(ingest("two_t2"), { seconds: 12, size: "320x180", rate: 25 });
    try {
      await waitLive(api, "two_t2");
      const two = publishRtmp(ingest("two"), { seconds: 8, size: "320x180", rate: 25 });
      try {
        const audioOnly = await waitFor("radio's workers in error", async () => {
          const w = await api.processing("side", "radio");
          return w.transcoder?.state === "error" && w.snapshotter?.state === "error" && w;
        }, 20_000);
        expect(audioOnly.transcoder!.lastError).toMatchObject({ code: "NoVideo" });
        expect(audioOnly.snapshotter!.lastError).toMatchObject({ code: "NoVideo" });
        expect(audioOnly.transcoder!.restarts).toBe(0);
        const taken = await waitFor("two's transcoder in error", async () => {
          const w = await api.processing("side", "two");
          return w.transcoder?.state === "error" && w.snapshotter?.state === "running" && w;
        }, 20_000);
        expect(taken.transcoder!.lastError).toMatchObject({ code: "RenditionNameTaken" });
        expect(taken.transcoder!.lastError!.message).toContain("two_t2 is already live");
      } finally {
        await two.kill();
      }
    } finally {
      radio.child.kill();
      await Promise.all([radio.exited, direct.kill()]);
    }
  });
});

/** The service's processing.state_changed events of one worker, oldest first, read from its outbox. */
function processingEvents(service: ServiceHandle, workerId: string): { from: string | null; to: string; lastError: { code: string } | null }[] {
  const db = new Database(path.join(service.dataDir, "liverelay.db"), { readonly: true });
  try {
    const rows = db.prepare("SELECT data FROM events WHERE domain = ? AND type = 'processing.state_changed' ORDER BY seq").all(DOMAIN) as { data: string }[];
    return rows.map((r) => JSON.parse(r.data)).filter((d) => d.workerId === workerId);
  } finally {
    db.close();
  }
}
