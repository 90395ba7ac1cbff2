// RtmpServer on loopback against real publishers (ffmpeg, GStreamer
// rtmp2sink) and a scripted raw client for the failure cases.
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  RtmpPublishDecision, RtmpPublishRequest, RtmpServer, RtmpServerOptions,
} from "../../../relay-service/src/rtmp/server";
import { encodeAmf0 } from "../../../relay-service/src/media/amf0";
import { encodeBasicHeader } from "../../../relay-service/src/rtmp/chunk-writer";
import {
  FlvFileSink, decodeErrors, killAllSpawned, makeTempDir, probeMediaFile, startFfmpegPublisher,
  startGstPublisher, streamOfType, waitFor,
} from "../../helpers/media";
import { RawRtmpClient } from "./raw-client";
import { memoryLogger } from "./support";

interface Harness {
  server: RtmpServer;
  url: (pathAndQuery: string) => string;
  requests: RtmpPublishRequest[];
  sinks: Map<string, FlvFileSink>;
  logLines: string[];
}

let temp: { dir: string; cleanup: () => void };
let servers: RtmpServer[] = [];
let clients: RawRtmpClient[] = [];

beforeEach(() => {
  temp = makeTempDir("rtmp-server-test-");
});

afterEach(async () => {
  killAllSpawned();
  for (const c of clients) c.socket.destroy();
  await Promise.all(servers.map((s) => s.close()));
  servers = [];
  clients = [];
  temp.cleanup();
});

/** Server whose sink writes `<streamName>.flv`; `decide` may override the decision. */
async function startServer(
  extra: Partial<RtmpServerOptions> = {},
  decide?: (req: RtmpPublishRequest) => Promise<RtmpPublishDecision | null> | RtmpPublishDecision | null,
): Promise<Harness> {
  const { logger, lines } = memoryLogger();
  const requests: RtmpPublishRequest[] = [];
  const sinks = new Map<string, FlvFileSink>();
  const server = new RtmpServer({
    host: "127.0.0.1",
    port: 0,
    logger,
    ...extra,
    onPublish: async (req) => {
      requests.push(req);
      const override = decide ? await decide(req) : null;
      if (override) return override;
      const sink = new FlvFileSink(path.join(temp.dir, `${req.streamName}.flv`), true);
      sinks.set(req.streamName, sink);
      return { accept: true, sink };
    },
  });
  await server.listen();
  servers.push(server);
  const url = (p: string) => `rtmp://127.0.0.1:${server.port}/${p}`;
  return { server, url, requests, sinks, logLines: lines };
}

async function rawClient(port: number): Promise<RawRtmpClient> {
  const client = await RawRtmpClient.connect(port);
  clients.push(client);
  return client;
}

/** A raw client that has completed handshake, connect, createStream and publish. */
async function rawPublisher(h: Harness, name: string): Promise<{ client: RawRtmpClient; streamId: number }> {
  const client = await rawClient(h.server.port);
  await client.handshake();
  const { streamId, status } = await client.publish("live", name);
  expect(status.code).toBe("NetStream.Publish.Start");
  return { client, streamId };
}

async function expectDecodableH264Aac(file: string, durationSec: number, tolerance: number, ignore?: RegExp) {
  const probe = await probeMediaFile(file);
  expect(streamOfType(probe, "video")?.codec_name).toBe("h264");
  expect(streamOfType(probe, "audio")?.codec_name).toBe("aac");
  expect(Math.abs(Number(probe.format.duration) - durationSec)).toBeLessThan(tolerance);
  expect(await decodeErrors(file, ignore)).toBe("");
  return probe;
}

describe("RtmpServer with real publishers", () => {
  it("ingests an ffmpeg publish into a decodable FLV", async () => {
    const h = await startServer();
    const ffmpeg = startFfmpegPublisher(h.url("live/show?vhost=a.example.com"), { durationSec: 4 });
    const result = await ffmpeg.exited;
    expect(result.code, result.stderr).toBe(0);

    const sink = h.sinks.get("show")!;
    await waitFor(() => sink.endReasons.length > 0, { what: "onEnd" });
    expect(h.requests).toHaveLength(1);
    expect(h.requests[0]).toMatchObject({ app: "live", streamName: "show", remoteAddress: "127.0.0.1" });
    expect(h.requests[0].query.get("vhost")).toBe("a.example.com");
    expect(h.requests[0].tcUrl).toBe(h.url("live"));
    const probe = await expectDecodableH264Aac(sink.file, 4, 0.3);
    expect(streamOfType(probe, "video")).toMatchObject({ width: 640, height: 360 });
    expect(sink.tagCounts[18]).toBe(1);
    await waitFor(() => h.server.connectionCount === 0, { what: "connection closed" });
    expect(sink.endReasons).toEqual(["unpublish"]);
  });

  it("ingests a GStreamer rtmp2sink publish into a decodable FLV", async () => {
    const h = await startServer();
    const gst = startGstPublisher(h.url("live/gst"), { videoFrames: 120 });
    const result = await gst.exited;
    expect(result.code, result.stderr).toBe(0);

    const sink = h.sinks.get("gst")!;
    await waitFor(() => sink.endReasons.length > 0, { what: "onEnd" });
    expect(h.requests[0]).toMatchObject({ app: "live", streamName: "gst" });
    // Should the machine only have avenc_aac, flvmux repeats the odd audio
    // timestamp (it does so writing to a file too); that is the publisher's doing.
    await expectDecodableH264Aac(sink.file, 4, 0.5, /non monotonically increasing dts|Last message repeated/);
    expect(sink.tagCounts[9]).toBeGreaterThanOrEqual(120);
    await waitFor(() => h.server.connectionCount === 0, { what: "connection closed" });
    expect(sink.endReasons).toEqual(["unpublish"]);
  });

  it("handles five concurrent ffmpeg publishers", async () => {
    const h = await startServer();
    const names = ["c1", "c2", "c3", "c4", "c5"];
    const runs = names.map((n) => startFfmpegPublisher(h.url(`live/${n}`), { durationSec: 3, size: "320x180", rate: 25 }));
    const results = await Promise.all(runs.map((r) => r.exited));
    results.forEach((r) => expect(r.code, r.stderr).toBe(0));
    await waitFor(() => names.every((n) => h.sinks.get(n)?.endReasons.length), { what: "all onEnd" });
    for (const n of names) {
      const sink = h.sinks.get(n)!;
      expect(sink.endReasons).toEqual(["unpublish"]);
      await expectDecodableH264Aac(sink.file, 3, 0.3);
    }
  });

  it("rejects a publish: ffmpeg fails, no sink, connection closed", async () => {
    const h = await startServer({}, () => ({ accept: false, code: "Unauthorized", description: "invalid auth_key" }));
    const ffmpeg = startFfmpegPublisher(h.url("live/show?auth_key=wrong"), { durationSec: 2 });
    const result = await ffmpeg.exited;
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain("invalid auth_key"); // ffmpeg prints the status description
    expect(h.requests).toHaveLength(1);
    expect(h.sinks.size).toBe(0);
    await waitFor(() => h.server.connectionCount === 0, { what: "connection closed" });
    expect(h.logLines.join("")).not.toContain("wrong");
  });
});

describe("RtmpServer session endings", () => {
  it("ends a silent publisher with timeout after idleTimeoutMs", async () => {
    const h = await startServer({ idleTimeoutMs: 1500 });
    const { client } = await rawPublisher(h, "quiet");
    const silentSince = Date.now();
    const sink = h.sinks.get("quiet")!;
    await waitFor(() => sink.endReasons.length > 0, { what: "timeout", timeoutMs: 5000 });
    const elapsed = Date.now() - silentSince;
    expect(sink.endReasons).toEqual(["timeout"]);
    expect(elapsed).toBeGreaterThanOrEqual(1400);
    expect(elapsed).toBeLessThan(1500 + 1000);
    await client.waitClosed();
  });

  it("keeps a publisher that keeps sending alive past idleTimeoutMs", async () => {
    const h = await startServer({ idleTimeoutMs: 600 });
    const { client, streamId } = await rawPublisher(h, "steady");
    for (let i = 0; i < 12; i++) {
      client.sendMedia(8, streamId, i * 100, Buffer.from([0xaf, 0x01, i]));
      await new Promise((r) => setTimeout(r, 100));
    }
    const sink = h.sinks.get("steady")!;
    expect(sink.endReasons).toEqual([]);
    expect(sink.tagCounts[8]).toBe(12);
  });

  it("reports a TCP reset as disconnect", async () => {
    const h = await startServer();
    const { client, streamId } = await rawPublisher(h, "reset");
    client.sendMedia(9, streamId, 0, Buffer.from([0x17, 0x00, 0, 0, 0, 1, 2, 3]));
    const sink = h.sinks.get("reset")!;
    await waitFor(() => sink.tagCounts[9] === 1, { what: "video tag" });
    const resetAt = Date.now();
    client.socket.resetAndDestroy();
    await waitFor(() => sink.endReasons.length > 0, { what: "disconnect" });
    expect(Date.now() - resetAt).toBeLessThan(500);
    expect(sink.endReasons).toEqual(["disconnect"]);
  });

  it("close() ends every session with server-close and waits for the sockets", async () => {
    const h = await startServer();
    const ffmpeg = startFfmpegPublisher(h.url("live/long"), { durationSec: 30, size: "320x180" });
    const { client } = await rawPublisher(h, "raw");
    await waitFor(() => (h.sinks.get("long")?.tagCounts[9] ?? 0) > 5, { what: "ffmpeg media flowing" });
    await h.server.close();
    expect(h.server.connectionCount).toBe(0);
    expect(h.sinks.get("long")!.endReasons).toEqual(["server-close"]);
    expect(h.sinks.get("raw")!.endReasons).toEqual(["server-close"]);
    await client.waitClosed();
    const result = await ffmpeg.exited;
    expect(result.code).not.toBe(0);
  });

  it("ends the publish with protocol-error on an absurd chunk size or message length", async () => {
    const h = await startServer();
    const a = await rawPublisher(h, "badchunk");
    const size = Buffer.alloc(4);
    size.writeUInt32BE(0x80000000);
    a.client.send({ chunkStreamId: 2, type: 1, streamId: 0, timestamp: 0, payload: size });

    const b = await rawPublisher(h, "badlength");
    const header = Buffer.from("ffffff ffffff 09 01000000".replace(/ /g, ""), "hex"); // 16 MiB - 1 video message
    b.client.socket.write(Buffer.concat([encodeBasicHeader(0, 6), Buffer.from([0, 0, 0]), header.subarray(3)]));

    for (const name of ["badchunk", "badlength"]) {
      await waitFor(() => h.sinks.get(name)!.endReasons.length > 0, { what: `${name} ended` });
      expect(h.sinks.get(name)!.endReasons).toEqual(["protocol-error"]);
    }
    await a.client.waitClosed();
    await b.client.waitClosed();
  });

  it("ends an accepted publish whose client left while the decision was pending", async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const h = await startServer({}, async () => {
      await gate;
      return null; // then accept with the default sink
    });
    const client = await rawClient(h.server.port);
    await client.handshake();
    client.sendCommand("connect", [{ app: "live", tcUrl: "rtmp://127.0.0.1/live" }]);
    client.sendCommand("createStream", [null]);
    client.sendCommand("publish", [null, "gone", "live"], 1);
    await waitFor(() => h.requests.length === 1, { what: "onPublish" });
    client.socket.destroy();
    await waitFor(() => h.server.connectionCount === 0, { what: "server saw close" });
    release();
    await waitFor(() => h.sinks.get("gone")?.endReasons.length, { what: "late onEnd" });
    expect(h.sinks.get("gone")!.endReasons).toEqual(["disconnect"]);
    expect(h.sinks.get("gone")!.tagCounts).toEqual({ 8: 0, 9: 0, 18: 0 });
  });
});

describe("RtmpServer protocol details", () => {
  it("answers a ping and refuses playback", async () => {
    const h = await startServer();
    const client = await rawClient(h.server.port);
    await client.handshake();
    client.send({ chunkStreamId: 2, type: 4, streamId: 0, timestamp: 0, payload: Buffer.from("0006 0000beef".replace(/ /g, ""), "hex") });
    await waitFor(() => client.received.find((m) => m.type === 4 && m.payload.readUInt16BE(0) === 7), { what: "ping response" });
    const pong = client.received.find((m) => m.type === 4 && m.payload.readUInt16BE(0) === 7)!;
    expect(pong.payload.readUInt32BE(2)).toBe(0xbeef);

    client.sendCommand("connect", [{ app: "live" }]);
    client.sendCommand("createStream", [null]);
    client.sendCommand("play", [null, "show"], 1);
    const status = await client.waitForCommand((c) => c.name === "onStatus", "play status");
    expect(status.values[1]).toMatchObject({ level: "error", code: "NetStream.Play.Failed" });
  });

  it("sends window ack size, peer bandwidth and chunk size before the connect result", async () => {
    const h = await startServer();
    const client = await rawClient(h.server.port);
    const s0s1s2 = await client.handshake();
    expect(s0s1s2[0]).toBe(3);
    expect(s0s1s2.subarray(1537)).toEqual(Buffer.concat([Buffer.alloc(8), Buffer.alloc(1528, 0x5a)])); // S2 = C1
    client.sendCommand("connect", [{ app: "live", fourCcList: ["hvc1", "av01"] }]);
    const result = await client.waitForCommand((c) => c.name === "_result", "connect result");
    expect(result.values[1]).toMatchObject({ code: "NetConnection.Connect.Success" });
    expect(result.values[0]).toMatchObject({ fourCcList: ["hvc1", "av01"] });
    expect(client.received.slice(0, 3).map((m) => m.type)).toEqual([5, 6, 20]); // set chunk size is consumed by the reader
  });

  it("passes Enhanced RTMP (HEVC FourCC) video through byte for byte", async () => {
    const h = await startServer();
    const { client, streamId } = await rawPublisher(h, "hevc");
    const seq = Buffer.concat([Buffer.from([0x90]), Buffer.from("hvc1"), Buffer.alloc(200, 7)]);
    const key = Buffer.concat([Buffer.from([0x91]), Buffer.from("hvc1"), Buffer.from([0, 0, 0]), Buffer.alloc(5000, 9)]);
    client.send({
      chunkStreamId: 4, type: 18, streamId, timestamp: 0,
      payload: encodeAmf0("@setDataFrame", "onMetaData", { videocodecid: Buffer.from("hvc1").readUInt32BE(0) }),
    });
    client.sendMedia(9, streamId, 0, seq);
    client.sendMedia(9, streamId, 0x1000000, key); // also exercises the extended timestamp on fmt 3 chunks
    const sink = h.sinks.get("hevc")!;
    await waitFor(() => sink.tagCounts[9] === 2, { what: "two video tags" });
    expect(sink.tags.map((t) => [t.type, t.timestamp])).toEqual([[18, 0], [9, 0], [9, 0x1000000]]);
    expect(sink.tags[0].payload).toEqual(encodeAmf0("onMetaData", { videocodecid: Buffer.from("hvc1").readUInt32BE(0) }));
    expect(sink.tags[1].payload).toEqual(seq);
    expect(sink.tags[2].payload).toEqual(key);
  });

  it("refuses connections beyond maxConnections", async () => {
    const h = await startServer({ maxConnections: 2 });
    const a = await rawClient(h.server.port);
    const b = await rawClient(h.server.port);
    await waitFor(() => h.server.connectionCount === 2, { what: "two connections" });
    const c = await rawClient(h.server.port);
    await c.waitClosed();
    expect(a.closed || b.closed).toBe(false);
  });

  it("rejects a publish without a stream name without asking the hub", async () => {
    const h = await startServer();
    const client = await rawClient(h.server.port);
    await client.handshake();
    const { status } = await client.publish("live", "?auth_key=x");
    expect(status).toMatchObject({ level: "error", code: "NetStream.Publish.BadName" });
    expect(h.requests).toHaveLength(0);
    await client.waitClosed();
  });
});
