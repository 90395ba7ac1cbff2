import { spawn } from "node:child_process";
import crypto from "node:crypto";
import dgram from "node:dgram";
import fs from "node:fs";
import path from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { parseStreamId } from "../../../relay-service/src/srt";
import {
  IngestHarness,
  acceptParsedPublishers,
  makeTestTs,
  makeTmpDir,
  probeVideo,
  spawnFfmpegPublisher,
  spawnGstPublisher,
  spawnSrtLiveTransmitPublisher,
  waitFor,
  type Publisher,
} from "../../helpers/srt";

// Real SRT callers on loopback against one SrtServer port.
describe("SrtServer with real callers", () => {
  let dir: string;
  let clip: string;
  let harness: IngestHarness | undefined;
  const publishers: Publisher[] = [];

  const publish = <P extends Publisher>(p: P): P => {
    publishers.push(p);
    return p;
  };

  beforeAll(async () => {
    dir = makeTmpDir("srt");
    clip = await makeTestTs(path.join(dir, "clip.ts"), 6);
  });

  afterEach(async () => {
    for (const p of publishers.splice(0)) p.kill("SIGKILL");
    await harness?.server.close();
    harness = undefined;
  });

  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it("routes three concurrent publishers (ffmpeg, srt-live-transmit, GStreamer) on one port by streamid", async () => {
    harness = await IngestHarness.start(acceptParsedPublishers(parseStreamId), dir);
    const port = harness.port;
    const ids = {
      ffmpeg: "#!::h=a.example.com,r=live/one,m=publish",
      slt: "#!::h=a.example.com,r=live/two,m=publish",
      gst: "#!::h=a.example.com,r=/live/three,m=publish",
    };
    const pubs = [
      publish(spawnFfmpegPublisher({ port, streamId: ids.ffmpeg, seconds: 6, streamIdInUrl: true })),
      publish(spawnSrtLiveTransmitPublisher({ port, streamId: ids.slt, file: clip })),
      publish(spawnGstPublisher({ port, streamId: ids.gst, file: clip })),
    ];
    await waitFor(() => harness!.connections.length === 3, 15_000, "three connections");
    expect(harness.server.connectionCount).toBe(3);

    const exits = await Promise.all(pubs.map((p) => p.exited));
    exits.forEach((e, i) => expect(e.code, `${pubs[i].name}: ${pubs[i].stderr()}`).toBe(0));
    await Promise.all(harness.connections.map((c) => c.done));

    for (const streamId of Object.values(ids)) {
      const rec = harness.byStreamId(streamId)!;
      expect(rec.conn.remoteAddress).toBe("127.0.0.1");
      expect(rec.closed?.reason).toBe("disconnect");
      expect(rec.bytes).toBeGreaterThan(200_000);
      expect(rec.conn.stats().bytesReceived).toBe(rec.bytes);
      const probe = await probeVideo(rec.file!);
      expect(probe.codec).toBe("h264");
      expect(probe.framesDecoded).toBeGreaterThan(60);
    }
    expect(harness.server.connectionCount).toBe(0);
  });

  it("rejects a duplicate publisher with Conflict while the first keeps receiving", async () => {
    const active = new Set<string>();
    harness = await IngestHarness.start(({ streamId }) => {
      const p = parseStreamId(streamId);
      if (!p) return { accept: false, reason: "BadRequest" };
      return active.has(p.resource) ? { accept: false, reason: "Conflict" } : { accept: true };
    });
    const first = publish(spawnFfmpegPublisher({ port: harness.port, streamId: "publish:live/dup", seconds: 20 }));
    await waitFor(() => (harness!.connections[0]?.bytes ?? 0) > 50_000, 15_000, "first publisher data");
    active.add("live/dup");

    const second = publish(spawnFfmpegPublisher({ port: harness.port, streamId: "publish:live/dup", seconds: 5 }));
    const exit = await second.exited;
    expect(exit.code).not.toBe(0);
    expect(second.stderr()).toMatch(/reject|Input\/output error|Connection .* failed/i);

    const before = harness.connections[0].bytes;
    await waitFor(() => harness!.connections[0].bytes > before + 50_000, 10_000, "first publisher still receiving");
    expect(harness.connections).toHaveLength(1);
    expect(harness.authorizeCalls).toHaveLength(2);
    // libsrt answered the handshake with SRT_REJX_CONFLICT (sent on the wire as 1000 + 1409).
    expect(harness.logs.join("")).toMatch(/rsp\(REJECT\): 2409/);
    expect(first.proc.exitCode).toBeNull();
  });

  it("enforces a per-connection passphrase chosen by authorize", async () => {
    harness = await IngestHarness.start(() => ({ accept: true, passphrase: "correct horse 123" }));
    const port = harness.port;
    const wrong = publish(spawnFfmpegPublisher({ port, streamId: "publish:live/wrong", seconds: 2, passphrase: "wrong horse 456" }));
    const none = publish(spawnFfmpegPublisher({ port, streamId: "publish:live/none", seconds: 2 }));
    const rightId = "#!::r=live/right?auth_key=TOPSECRET,m=publish";
    const right = publish(spawnFfmpegPublisher({ port, streamId: rightId, seconds: 2, passphrase: "correct horse 123" }));

    expect((await wrong.exited).code).not.toBe(0);
    expect((await none.exited).code).not.toBe(0);
    expect((await right.exited).code).toBe(0);
    await waitFor(() => harness!.connections.every((c) => c.closed), 5_000, "right publisher closed");

    expect(harness.connections.map((c) => c.conn.streamId)).toEqual([rightId]);
    expect(harness.connections[0].bytes).toBeGreaterThan(10_000);
    expect(harness.authorizeCalls.map((c) => c.streamId).sort()).toEqual([rightId, "publish:live/none", "publish:live/wrong"].sort());
    // The handshake failures are visible in the log (libsrt errors), secrets are not.
    const logs = harness.logs.join("");
    expect(logs).toMatch(/BADSECRET|passphrase/i);
    expect(logs).toContain("live/right");
    expect(logs).not.toContain("TOPSECRET");
    expect(logs).not.toContain("correct horse");
  });

  it("survives random UDP garbage and still accepts a good caller", async () => {
    harness = await IngestHarness.start(acceptParsedPublishers(parseStreamId));
    const live = publish(spawnFfmpegPublisher({ port: harness.port, streamId: "publish:live/steady", seconds: 20 }));
    await waitFor(() => (harness!.connections[0]?.bytes ?? 0) > 20_000, 15_000, "steady publisher data");

    await sendGarbage(harness.port, 5000);
    const before = harness.connections[0].bytes;
    const good = publish(spawnFfmpegPublisher({ port: harness.port, streamId: "publish:live/after-garbage", seconds: 2 }));
    expect((await good.exited).code).toBe(0);
    await waitFor(() => harness!.byStreamId("publish:live/after-garbage")?.closed !== undefined, 5_000, "good caller");
    expect(harness.byStreamId("publish:live/after-garbage")!.bytes).toBeGreaterThan(10_000);
    // The caller that was live during the flood kept streaming.
    expect(harness.connections[0].bytes).toBeGreaterThan(before);
    expect(harness.connections[0].closed).toBeUndefined();
    expect(live.proc.exitCode).toBeNull();
  });

  it("rejects a caller whose authorize() stalls the event loop past 1 s, without stalling the port", async () => {
    harness = await IngestHarness.start(({ streamId }) => {
      if (streamId === "publish:live/slow") busyWait(1_500);
      return { accept: true };
    });
    const steady = publish(spawnFfmpegPublisher({ port: harness.port, streamId: "publish:live/steady", seconds: 20 }));
    await waitFor(() => (harness!.connections[0]?.bytes ?? 0) > 20_000, 15_000, "steady publisher data");

    const slow = publish(spawnFfmpegPublisher({ port: harness.port, streamId: "publish:live/slow", seconds: 5 }));
    expect((await slow.exited).code).not.toBe(0);
    // Handshake repeats during the stall were refused without asking JS again.
    expect(harness.authorizeCalls.filter((c) => c.streamId === "publish:live/slow")).toHaveLength(1);
    expect(harness.byStreamId("publish:live/slow")).toBeUndefined();

    const before = harness.connections[0].bytes;
    const next = publish(spawnFfmpegPublisher({ port: harness.port, streamId: "publish:live/next", seconds: 2 }));
    expect((await next.exited).code).toBe(0);
    expect(harness.connections[0].bytes).toBeGreaterThan(before);
    expect(harness.connections[0].closed).toBeUndefined();
    expect(steady.proc.exitCode).toBeNull();
  });

  it("reports a SIGKILLed caller as closed by timeout within ~5 s", async () => {
    harness = await IngestHarness.start(acceptParsedPublishers(parseStreamId));
    const doomed = publish(spawnFfmpegPublisher({ port: harness.port, streamId: "publish:live/doomed", seconds: 60 }));
    await waitFor(() => (harness!.connections[0]?.bytes ?? 0) > 20_000, 15_000, "doomed publisher data");
    const killedAt = Date.now();
    doomed.kill("SIGKILL");
    await harness.connections[0].done;
    const detectMs = harness.connections[0].closed!.at - killedAt;
    console.log(`[srt] SIGKILLed caller reported closed after ${detectMs} ms`);
    expect(harness.connections[0].closed!.reason).toBe("timeout");
    expect(detectMs).toBeGreaterThan(3_000);
    expect(detectMs).toBeLessThan(8_000);
  });

  it("close() ends every connection with server-close", async () => {
    harness = await IngestHarness.start(acceptParsedPublishers(parseStreamId));
    for (const name of ["a", "b"]) {
      publish(spawnFfmpegPublisher({ port: harness.port, streamId: `publish:live/${name}`, seconds: 30 }));
    }
    await waitFor(() => harness!.connections.filter((c) => c.bytes > 0).length === 2, 15_000, "two live callers");
    await harness.server.close();
    expect(harness.connections.map((c) => c.closed?.reason)).toEqual(["server-close", "server-close"]);
    expect(harness.server.connectionCount).toBe(0);
    await harness.server.close(); // idempotent
  });

  it("lets the Node process exit after close() (no hanging handles)", async () => {
    const script = path.join(dir, "exit-child.cjs");
    fs.writeFileSync(script, EXIT_CHILD);
    const repoRoot = path.resolve(__dirname, "../../..");
    const child = spawn(process.execPath, [script, path.join(repoRoot, "relay-service/src/srt/index.ts"), repoRoot], {
      stdio: ["ignore", "pipe", "pipe"],
    });
    let out = "";
    child.stdout.on("data", (d: Buffer) => (out += d.toString()));
    child.stderr.on("data", (d: Buffer) => (out += d.toString()));
    const code = await new Promise<number | null>((resolve) => {
      const t = setTimeout(() => child.kill("SIGKILL"), 30_000);
      child.once("exit", (c) => (clearTimeout(t), resolve(c)));
    });
    expect(out).toContain("closed server-close");
    expect(out).toContain("close() resolved");
    expect(code, out).toBe(0);
  });
});

function busyWait(ms: number): void {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    // Deliberately block the event loop.
  }
}

/** Random datagrams, a third of them with the SRT control bit and handshake type set. */
async function sendGarbage(port: number, count: number): Promise<void> {
  const sock = dgram.createSocket("udp4");
  for (let i = 0; i < count; i++) {
    const buf = crypto.randomBytes(16 + crypto.randomInt(1500));
    if (i % 3 === 0) buf.writeUInt32BE(0x80000000, 0); // control packet, type 0 = handshake
    await new Promise<void>((resolve) => sock.send(buf, port, "127.0.0.1", () => resolve()));
  }
  sock.close();
}

// Runs in a plain `node` child: compiles the TS wrapper on the fly, accepts one
// ffmpeg caller, closes the server, and must then exit on its own.
const EXIT_CHILD = String.raw`
const ts = require(require.resolve("typescript", { paths: [process.argv[3]] }));
const fs = require("fs");
require.extensions[".ts"] = (m, file) => {
  const out = ts.transpileModule(fs.readFileSync(file, "utf8"), { compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022, esModuleInterop: true } });
  m._compile(out.outputText, file);
};
const { spawn } = require("child_process");
const pino = require(require.resolve("pino", { paths: [process.argv[3]] }));
const { SrtServer } = require(process.argv[2]);
const server = new SrtServer({
  host: "127.0.0.1", port: 0, logger: pino({ level: "silent" }),
  authorize: () => ({ accept: true }),
  onConnection: (conn) => {
    let bytes = 0;
    conn.on("data", (c) => {
      bytes += c.length;
      if (bytes > 20000 && !conn.closing) { conn.closing = true; server.close().then(() => { console.log("close() resolved"); ff.kill("SIGKILL"); }); }
    });
    conn.on("close", (reason) => console.log("closed " + reason));
  },
});
let ff;
server.listen().then(() => {
  ff = spawn("ffmpeg", ["-hide_banner", "-loglevel", "error", "-re", "-f", "lavfi", "-i", "testsrc2", "-t", "20", "-f", "mpegts", "srt://127.0.0.1:" + server.port + "?streamid=publish:live/exit"], { stdio: "ignore" });
});
`;
