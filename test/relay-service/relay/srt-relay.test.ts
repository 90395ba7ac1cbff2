import fs from "node:fs";
import path from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { apiClient, startService, type ServiceHandle } from "../../helpers/service";
import { codecs, freeUdpPort, pidsMatching, probe, waitFor } from "../../helpers/relay";
import { makeTestTs, makeTmpDir, spawnFfmpegPublisher, spawnSrtLiveTransmitListener, videoDts, type Publisher } from "../../helpers/srt";

const DOMAIN = "srt-engine.example.com";
const PASSPHRASE = "destination-passphrase-42";
const WRONG = "not-the-destination-passphrase";

const streamId = (stream: string) => `#!::h=${DOMAIN},r=live/${stream},m=publish`;

// The in-process SRT relay engine in the real service: SRT callers publish, srt-live-transmit
// listeners (with and without a passphrase) receive, ffprobe checks what arrived.
describe("SRT relay engine (in-process caller)", () => {
  let svc: ServiceHandle;
  let call: ReturnType<typeof apiClient>;
  let clip: string;
  const dir = makeTmpDir("srt-engine");
  const procs: Publisher[] = [];
  const track = <T extends Publisher>(p: T) => (procs.push(p), p);

  beforeAll(async () => {
    svc = await startService();
    call = apiClient(svc);
    clip = await makeTestTs(path.join(dir, "clip.ts"), 16, 1000, { audio: true });
  });
  afterEach(() => {
    for (const p of procs.splice(0)) p.kill("SIGKILL");
  });
  afterAll(async () => {
    await svc?.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const createTemplate = async (streamName: string, destinationUrl: string) => {
    const res = await call("POST", `/v1/domains/${DOMAIN}/relay-templates`, { appName: "live", streamName, destinationUrl, mode: "always" });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    return res.body.id as string;
  };
  const status = async (id: string) => (await call("GET", `/v1/domains/${DOMAIN}/relay-templates/${id}/status`)).body;
  const waitStatus = (what: string, id: string, ok: (s: Record<string, any>) => boolean, timeoutMs = 30_000) =>
    waitFor(what, async () => {
      const s = await status(id);
      return ok(s) && s;
    }, timeoutMs, 200);
  const publish = (stream: string, seconds?: number) =>
    track(spawnFfmpegPublisher({ port: Number(svc.ready.srtPort), streamId: streamId(stream), file: clip, seconds }));
  const listen = (port: number, name: string, o: { passphrase?: string; pbkeylen?: number } = {}) => {
    const file = path.join(dir, `${name}.ts`);
    return Object.assign(track(spawnSrtLiveTransmitListener({ port, file, ...o })), { file });
  };

  /** Decodes the file and checks the video timestamps only move forward. */
  const expectCleanMedia = async (file: string, minSeconds: number) => {
    const p = probe(file);
    expect(codecs(p)).toEqual(["audio:aac", "video:h264"]);
    const video = p.streams.find((s) => s.codec_type === "video") as { nb_read_frames?: string };
    expect(Number(video.nb_read_frames)).toBeGreaterThanOrEqual(minSeconds * 30);
    const dts = await videoDts(file);
    expect(dts.length).toBeGreaterThanOrEqual(minSeconds * 30);
    for (let i = 1; i < dts.length; i++) expect(dts[i], `dts #${i}`).toBeGreaterThan(dts[i - 1]);
  };

  it("relays to listeners in the clear and with a passphrase (AES-256, ffmpeg-style µs latency): media decodes, stats come from the engine, no worker process", async () => {
    const [clearPort, securePort] = [await freeUdpPort(), await freeUdpPort()];
    const clear = listen(clearPort, "clear");
    const secure = listen(securePort, "secure", { passphrase: PASSPHRASE, pbkeylen: 32 });
    const ids = [
      await createTemplate("both", `srt://127.0.0.1:${clearPort}?streamid=plain-key&latency=200`),
      await createTemplate("both", `srt://localhost:${securePort}?streamid=#!::r=live/x,m=publish&passphrase=${PASSPHRASE}&pbkeylen=32&latency=200000&mode=caller`),
    ];
    const pub = publish("both", 8);
    for (const id of ids) {
      const s = await waitStatus("relaying with stats", id, (st) => st.state === "relaying" && st.fps > 0 && st.bitrateKbps > 0);
      expect(s.bytesOut).toBeGreaterThan(0);
      expect(s.fps).toBeLessThan(200);
    }
    // In-process: no process carries the destination or its passphrase on its command line.
    expect(pidsMatching("plain-key")).toEqual([]);
    expect(pidsMatching(PASSPHRASE)).toEqual([secure.proc.pid]);
    expect((await pub.exited).code).toBe(0);
    for (const id of ids) await waitStatus("waiting after the source ended", id, (st) => st.state === "waiting");
    await Promise.all([clear.exited, secure.exited]); // the caller finished: each listener saw the connection end
    await expectCleanMedia(clear.file, 5);
    await expectCleanMedia(secure.file, 5);
    for (const id of ids) expect((await status(id)).lastError).toBeUndefined();
    const output = svc.output.join("\n");
    expect(output).not.toContain(PASSPHRASE);
    expect(output).not.toContain("plain-key"); // stream ids are stream keys
  });

  it("a wrong passphrase is SrtPassphraseRejected (retried, never echoed); nothing listening is ConnectionRefused; an unknown host is DnsFailed", async () => {
    const [securePort, deadPort] = [await freeUdpPort(), await freeUdpPort()];
    listen(securePort, "never", { passphrase: PASSPHRASE });
    const wrong = await createTemplate("errors", `srt://127.0.0.1:${securePort}?streamid=k&passphrase=${WRONG}`);
    const dead = await createTemplate("errors", `srt://127.0.0.1:${deadPort}?streamid=k`);
    const unknown = await createTemplate("errors", "srt://no-such-host.invalid:9000?streamid=k");
    publish("errors", 16);
    const s = await waitStatus("passphrase rejected", wrong, (st) => st.lastError?.code === "SrtPassphraseRejected");
    expect(["retrying", "starting"]).toContain(s.state);
    expect(s.lastError.message).toMatch(/rejected the passphrase/);
    await waitStatus("retried", wrong, (st) => st.restarts >= 2);
    const d = await waitStatus("refused", dead, (st) => st.lastError?.code === "ConnectionRefused");
    expect(d.lastError.message).toMatch(/no SRT listener answered/);
    await waitStatus("dns", unknown, (st) => st.lastError?.code === "DnsFailed");
    const everything = svc.output.join("\n") + JSON.stringify(await call("GET", `/v1/domains/${DOMAIN}/relays`));
    expect(everything).not.toContain(WRONG);
    expect(everything).not.toContain(PASSPHRASE);
    for (const id of [wrong, dead, unknown]) await call("DELETE", `/v1/domains/${DOMAIN}/relay-templates/${id}`);
  });

  it("a destination that restarts: Timeout while it is gone, relaying again once it is back", async () => {
    const port = await freeUdpPort();
    const first = listen(port, "restart-1");
    const id = await createTemplate("restart", `srt://127.0.0.1:${port}?streamid=k`);
    publish("restart", 16);
    await waitStatus("relaying", id, (st) => st.state === "relaying");
    first.kill("SIGKILL"); // no SRT shutdown: only the silence tells
    const gone = await waitStatus("timeout", id, (st) => st.lastError?.code === "Timeout", 20_000);
    expect(gone.state).not.toBe("relaying");
    const second = listen(port, "restart-2");
    const back = Date.now();
    await waitStatus("relaying again", id, (st) => st.state === "relaying", 30_000);
    console.log(`srt relay back ${Date.now() - back} ms after the destination returned`);
    await waitStatus("waiting after the source ended", id, (st) => st.state === "waiting", 30_000);
    await second.exited;
    await expectCleanMedia(second.file, 1);
  });
});
