import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { SRT_REJ, SrtCaller, type SrtCallerClose, type SrtCallerOptions, type SrtCallerStats } from "../../../relay-service/src/srt/caller";
import { freeUdpPort, waitFor } from "../../helpers/relay";
import { makeTestTs, makeTmpDir, spawnSrtLiveTransmitListener, type Publisher } from "../../helpers/srt";

const PASSPHRASE = "caller-test-passphrase";

interface Run {
  caller: SrtCaller;
  connected: boolean;
  stats: SrtCallerStats[];
  closed: Promise<SrtCallerClose>;
}

function connect(opts: Partial<SrtCallerOptions> & { port: number }): Run {
  let resolveClosed!: (c: SrtCallerClose) => void;
  const run = { connected: false, stats: [] as SrtCallerStats[], closed: new Promise<SrtCallerClose>((r) => (resolveClosed = r)) } as Run;
  run.caller = SrtCaller.connect(
    { address: "127.0.0.1", latencyMs: 120, ...opts },
    { onConnected: () => (run.connected = true), onStats: (s) => run.stats.push(s), onClose: resolveClosed },
  );
  return run;
}

/** Sends `data` in ~100 ms slices of a ~2.5 Mbit/s stream (the pace the hub feeds a relay). */
async function sendPaced(caller: SrtCaller, data: Buffer): Promise<void> {
  const slice = 188 * 170;
  for (let at = 0; at < data.length; at += slice) {
    expect(caller.send(data.subarray(at, at + slice))).toBe(true);
    await new Promise((r) => setTimeout(r, 100));
  }
}

// The addon's SRT caller against a real SRT listener (srt-live-transmit) on loopback.
describe("SrtCaller", () => {
  const dir = makeTmpDir("srt-caller");
  const listeners: Publisher[] = [];
  let clip: Buffer;

  beforeAll(async () => {
    clip = fs.readFileSync(await makeTestTs(path.join(dir, "clip.ts"), 3, 1500, { audio: true }));
  });
  afterEach(() => {
    for (const l of listeners.splice(0)) l.kill("SIGKILL");
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  const listen = (port: number, file: string, o: { passphrase?: string; pbkeylen?: number } = {}) => {
    const l = spawnSrtLiveTransmitListener({ port, file, ...o });
    listeners.push(l);
    return l;
  };
  const sha = (b: Buffer) => crypto.createHash("sha256").update(b).digest("hex");

  it.each([
    ["in the clear", {}],
    ["encrypted with AES-256 (passphrase + pbkeylen 32)", { passphrase: PASSPHRASE, pbkeylen: 32 }],
  ])("delivers every byte, in order, %s; finish() waits for the acknowledgements", async (_name, crypt) => {
    const port = await freeUdpPort();
    const file = path.join(dir, `out-${port}.ts`);
    const listener = listen(port, file, crypt);
    await new Promise((r) => setTimeout(r, 300)); // srt-live-transmit binds
    const run = connect({ port, streamId: "#!::r=live/x,m=publish", ...crypt });
    await waitFor("connected", () => run.connected, 10_000);
    await sendPaced(run.caller, clip);
    run.caller.finish();
    expect((await run.closed).reason).toBe("finished");
    await listener.exited;
    expect(fs.statSync(file).size).toBe(clip.length);
    expect(sha(fs.readFileSync(file))).toBe(sha(clip));
    const last = run.stats.at(-1)!;
    expect(last.bytesSubmitted).toBeGreaterThan(0);
    expect(last.bytesDropped).toBe(0);
  });

  it("a wrong passphrase is rejected with SRT_REJ_BADSECRET, a missing one with SRT_REJ_UNSECURE", async () => {
    const port = await freeUdpPort();
    listen(port, path.join(dir, "never.ts"), { passphrase: PASSPHRASE });
    await new Promise((r) => setTimeout(r, 300));
    const wrong = await connect({ port, passphrase: "not-the-passphrase" }).closed;
    expect(wrong).toMatchObject({ reason: "rejected", rejectReason: SRT_REJ.BADSECRET });
    expect(wrong.message).not.toContain("not-the-passphrase");
    const missing = await connect({ port }).closed;
    expect(missing).toMatchObject({ reason: "rejected", rejectReason: SRT_REJ.UNSECURE });
  });

  it("nothing listening: rejected with SRT_REJ_TIMEOUT after the connect timeout; bytes sent meanwhile stay bounded", async () => {
    const port = await freeUdpPort();
    const run = connect({ port, connectTimeoutMs: 1_000, maxQueueBytes: 64 * 1024 });
    expect(run.caller.send(Buffer.alloc(60 * 1024))).toBe(true);
    expect(run.caller.send(Buffer.alloc(8 * 1024))).toBe(false); // over the queue's bound: refused, not buffered
    expect(run.caller.queuedBytes()).toBe(60 * 1024);
    expect(await run.closed).toMatchObject({ reason: "rejected", rejectReason: SRT_REJ.TIMEOUT });
    expect(run.caller.send(Buffer.alloc(188))).toBe(false);
  });

  it("callers share one local UDP port, so one libsrt multiplexer (one send thread), not one per destination", async () => {
    const sendThreads = () =>
      fs.readdirSync("/proc/self/task").filter((t) => {
        try {
          return fs.readFileSync(`/proc/self/task/${t}/comm`, "utf8").startsWith("SRT:SndQ");
        } catch {
          return false; // thread ended meanwhile
        }
      }).length;
    const runs = await Promise.all([1, 2, 3, 4, 5].map(async () => connect({ port: await freeUdpPort(), connectTimeoutMs: 2_000 })));
    await new Promise((r) => setTimeout(r, 300));
    expect(sendThreads()).toBe(1);
    for (const r of runs) r.caller.close();
    await Promise.all(runs.map((r) => r.closed));
  });

  it("close() while connecting ends the caller with reason closed", async () => {
    const port = await freeUdpPort();
    const run = connect({ port });
    run.caller.close();
    expect((await run.closed).reason).toBe("closed");
  });

  it("the listener going away breaks the connection (a clean shutdown is heard at once)", async () => {
    const port = await freeUdpPort();
    const listener = listen(port, path.join(dir, "gone.ts"));
    await new Promise((r) => setTimeout(r, 300));
    const run = connect({ port });
    await waitFor("connected", () => run.connected, 10_000);
    const feeding = setInterval(() => run.caller.send(clip.subarray(0, 188 * 70)), 50);
    await new Promise((r) => setTimeout(r, 500));
    listener.kill("SIGTERM");
    const closed = await run.closed;
    clearInterval(feeding);
    expect(closed.reason).toBe("broken");
    expect(closed.msSinceHeard).toBeLessThan(4_000);
  });
});
