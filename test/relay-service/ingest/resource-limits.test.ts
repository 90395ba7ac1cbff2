import fs from "node:fs";
import net from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { apiClient, startService, type ServiceHandle } from "../../helpers/service";
import { publishRtmp, waitFor, type Proc } from "../../helpers/relay";
import { ForgedSrtCaller } from "../../helpers/srt-forge";
import { RawRtmpClient } from "../rtmp/raw-client";
import { signAuthKey } from "../../../relay-service/src/ingest/url-signing";

// What an unauthenticated peer can make the ingest servers hold is capped globally, refusals
// are counted in /metrics, and a legitimate publisher keeps publishing while an attack runs.
// Memory is read from /proc/<pid>/status (VmRSS) with generous margins: the box is shared.

const MiB = 1024 * 1024;
let service: ServiceHandle | undefined;
const cleanups: (() => void)[] = [];

afterEach(async () => {
  for (const c of cleanups.splice(0)) c();
  await service?.stop();
  service = undefined;
});

const rssMiB = (pid: number) => Number(/VmRSS:\s+(\d+)/.exec(fs.readFileSync(`/proc/${pid}/status`, "utf8"))![1]) / 1024;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function metric(svc: ServiceHandle, name: string, labels: string): Promise<number> {
  const text = await (await fetch(`${svc.url}/metrics`, { headers: { authorization: `Bearer ${svc.token}` } })).text();
  const line = text.split("\n").find((l) => l.startsWith(`${name}{${labels}}`) || (labels === "" && l.startsWith(`${name} `)));
  return line ? Number(line.split(" ").pop()) : 0;
}

/** Samples the service's RSS every 100 ms until stopped; returns the peak. */
function watchRss(pid: number): () => number {
  let peak = rssMiB(pid);
  const timer = setInterval(() => (peak = Math.max(peak, rssMiB(pid))), 100);
  return () => {
    clearInterval(timer);
    return peak;
  };
}

/**
 * An RTMP peer that completes the handshake, declares one `declared`-byte video message in a
 * single chunk and sends all of it but the last byte: the server must hold what it got.
 */
async function trickleBigMessage(port: number, declared: number): Promise<RawRtmpClient> {
  const client = await RawRtmpClient.connect(port);
  await client.handshake();
  const chunkSize = Buffer.alloc(4);
  chunkSize.writeUInt32BE(16 * MiB);
  client.send({ chunkStreamId: 2, type: 1, streamId: 0, timestamp: 0, payload: chunkSize });
  const header = Buffer.alloc(12);
  header[0] = 0x04; // fmt 0, chunk stream 4
  header.writeUIntBE(declared, 4, 3);
  header[7] = 9; // video
  header.writeUInt32LE(1, 8);
  client.socket.write(header);
  const body = Buffer.alloc(declared - 1, 0x42);
  for (let off = 0; off < body.length && !client.closed; off += 64 * 1024) {
    if (!client.socket.write(body.subarray(off, off + 64 * 1024))) {
      await new Promise((r) => { client.socket.once("drain", r); client.socket.once("close", r); });
    }
  }
  return client;
}

async function liveStream(svc: ServiceHandle, domain: string, name: string) {
  const res = await apiClient(svc)("GET", `/v1/domains/${domain}/streams`);
  return (res.body.items as { streamName: string; bitrateKbps: number; startedAt: string }[]).find((s) => s.streamName === name);
}

function publisher(url: string, seconds: number): Proc {
  const p = publishRtmp(url, { seconds, size: "320x180", rate: 15 });
  cleanups.push(() => p.kill());
  return p;
}

describe("RTMP ingest limits", () => {
  it("closes connections over --max-rtmp-connections and counts them; a publisher gets in once they are gone", async () => {
    service = await startService({ args: ["--max-rtmp-connections", "5"] });
    const port = Number(service.ready.rtmpPort);
    const sockets = await Promise.all(Array.from({ length: 8 }, () => new Promise<net.Socket>((resolve) => {
      const s = net.connect(port, "127.0.0.1", () => resolve(s));
      s.on("error", () => undefined);
    })));
    cleanups.push(() => sockets.forEach((s) => s.destroy()));
    await waitFor("3 refused connections", async () => (await metric(service!, "liverelay_ingest_refused_total", 'protocol="rtmp",reason="max-connections"')) === 3);
    await waitFor("3 sockets closed by the server", () => sockets.filter((s) => s.destroyed || s.readableEnded).length === 3);
    expect(await metric(service, "liverelay_ingest_connections", 'protocol="rtmp"')).toBe(5);

    sockets.forEach((s) => s.destroy());
    await waitFor("idle connections gone", async () => (await metric(service!, "liverelay_ingest_connections", 'protocol="rtmp"')) === 0);
    publisher(`rtmp://127.0.0.1:${port}/live/legit`, 8);
    await waitFor("legit stream live", () => liveStream(service!, "default", "legit"), 20_000);
  }, 60_000);

  it("bounds memory of many trickled 6 MiB messages across connections, evicting the biggest holders, while a publisher keeps publishing", async () => {
    service = await startService({ args: ["--max-rtmp-buffered-bytes", String(32 * MiB)] });
    const port = Number(service.ready.rtmpPort);
    const legit = publisher(`rtmp://127.0.0.1:${port}/live/legit`, 40);
    const before = await waitFor("legit stream live", () => liveStream(service!, "default", "legit"), 20_000);
    await sleep(1000);
    const baseline = rssMiB(service.process.pid!);
    const peak = watchRss(service.process.pid!);

    // 50 × 6 MiB = 300 MiB that the server would hold without a global cap.
    const attackers = await Promise.all(Array.from({ length: 50 }, () => trickleBigMessage(port, 6 * MiB)));
    cleanups.push(() => attackers.forEach((a) => a.socket.destroy()));
    await sleep(1500);
    const grownMiB = peak() - baseline;

    expect(await metric(service, "liverelay_rtmp_buffered_bytes", "")).toBeLessThanOrEqual(32 * MiB);
    expect(await metric(service, "liverelay_ingest_refused_total", 'protocol="rtmp",reason="buffer-limit"')).toBeGreaterThanOrEqual(40);
    expect(attackers.filter((a) => a.closed).length).toBeGreaterThanOrEqual(40);
    expect(grownMiB).toBeLessThan(150); // ~32 MiB held + socket buffers; 300+ without the cap

    // The publisher was never cut: the same publication is live and still sending.
    const after = await liveStream(service, "default", "legit");
    expect(after?.startedAt).toBe(before.startedAt);
    expect(after?.bitrateKbps).toBeGreaterThan(0);
    expect(legit.child.exitCode).toBeNull();
  }, 90_000);

  it("closes a connection that declares a message over --max-rtmp-message-bytes", async () => {
    service = await startService({ args: ["--max-rtmp-message-bytes", String(1 * MiB)] });
    const client = await trickleBigMessage(Number(service.ready.rtmpPort), 2 * MiB);
    await waitFor("connection closed", () => client.closed);
    expect(await metric(service, "liverelay_ingest_refused_total", 'protocol="rtmp",reason="message-too-large"')).toBe(1);
  }, 30_000);
});

describe("SRT ingest limits", () => {
  it("rejects callers over --max-srt-connections at the handshake (1402) and counts them", async () => {
    service = await startService({ args: ["--max-srt-connections", "10"] });
    const port = Number(service.ready.srtPort);
    const results = await Promise.all(Array.from({ length: 30 }, (_, i) => ForgedSrtCaller.connect(port, `publish:live/forged${i}`, 15_000)));
    cleanups.push(() => results.forEach((r) => r.caller.close()));
    expect(results.filter((r) => r.outcome.accepted)).toHaveLength(10);
    expect(results.filter((r) => !r.outcome.accepted && "rejectCode" in r.outcome && r.outcome.rejectCode === 1402)).toHaveLength(20);
    expect(await metric(service, "liverelay_ingest_refused_total", 'protocol="srt",reason="max-connections"')).toBeGreaterThanOrEqual(20);
    await waitFor("10 srt connections", async () => (await metric(service!, "liverelay_ingest_connections", 'protocol="srt"')) === 10);
  }, 60_000);

  it("rejects callers over --max-srt-handshakes: accepted handshakes that never connect (no passphrase) hold a slot only briefly", async () => {
    service = await startService({ args: ["--max-srt-handshakes", "5"] });
    const call = apiClient(service);
    expect((await call("PUT", "/v1/domains/locked.example.com/ingest-auth", { key: "k".repeat(20), srtPassphrase: "p".repeat(12) })).status).toBe(200);
    const port = Number(service.ready.srtPort);
    const expiresAt = new Date(Date.now() + 3600_000);
    const streamId = (i: number) =>
      `#!::h=locked.example.com,r=live/s${i}?auth_key=${signAuthKey({ appName: "live", streamName: `s${i}`, key: "k".repeat(20), expiresAt })},m=publish`;
    // Sequential, so that each caller's handshake has been decided before the next one.
    const outcomes = [];
    for (let i = 0; i < 8; i++) {
      const r = await ForgedSrtCaller.connect(port, streamId(i), 3000);
      r.caller.close();
      outcomes.push(r.outcome);
    }
    // libsrt refuses the first 5 itself (they carry no encryption) after we accepted them; then we are full.
    expect(outcomes.slice(5).every((o) => !o.accepted && "rejectCode" in o && o.rejectCode === 1402)).toBe(true);
    expect(await metric(service, "liverelay_ingest_refused_total", 'protocol="srt",reason="max-handshakes"')).toBeGreaterThanOrEqual(3);
    // Slots free up on their own.
    await sleep(3500);
    const again = await ForgedSrtCaller.connect(port, streamId(99), 3000);
    again.caller.close();
    expect(again.outcome).not.toEqual({ accepted: false, rejectCode: 1402 });
  }, 60_000);

  it("500 forged callers cost bounded memory, given back once they are gone", async () => {
    service = await startService();
    const pid = service.process.pid!;
    const port = Number(service.ready.srtPort);
    await sleep(1000);
    const baseline = rssMiB(pid);
    const peak = watchRss(pid);
    const results = await Promise.all(Array.from({ length: 500 }, (_, i) => ForgedSrtCaller.connect(port, `publish:live/forged${i}`, 20_000)));
    cleanups.push(() => results.forEach((r) => r.caller.close()));
    const accepted = results.filter((r) => r.outcome.accepted).length;
    expect(accepted).toBe(200); // the default --max-srt-connections
    await sleep(2000);
    const grownMiB = peak() - baseline;
    expect(grownMiB).toBeLessThan(250); // ~0.55 MB of libsrt state per connection; 365 MiB for 500 before the cap

    results.forEach((r) => r.caller.close()); // they go silent: SRT's 5 s peer idle timeout ends them
    await waitFor("srt connections gone", async () => (await metric(service!, "liverelay_ingest_connections", 'protocol="srt"')) === 0, 20_000);
    await waitFor("memory given back", () => rssMiB(pid) - baseline < 60 || undefined, 20_000, 500);
  }, 90_000);
});
