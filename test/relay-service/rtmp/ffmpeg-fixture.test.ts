// Replays the captured bytes of a real ffmpeg publish (see
// test/fixtures/rtmp/capture-ffmpeg-publish.mjs) through the protocol layers
// and through a live RtmpServer.
import net from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { ChunkReader } from "../../../relay-service/src/rtmp/chunk-reader";
import { decodeCommand } from "../../../relay-service/src/rtmp/commands";
import { scriptTagBody } from "../../../relay-service/src/rtmp/publication";
import { MessageType, RtmpMessage } from "../../../relay-service/src/rtmp/protocol";
import { RtmpPublishDecision, RtmpPublishRequest, RtmpServer } from "../../../relay-service/src/rtmp/server";
import { isAudioSequenceHeader, isVideoKeyframe, isVideoSequenceHeader, parseOnMetaData } from "../../../relay-service/src/media/flv";
import { waitFor } from "../../helpers/media";
import { decodeClientBytes, ffmpegPublishFixture, memoryLogger, randomPieces } from "./support";

const fixture = ffmpegPublishFixture();
const isCommand = (m: RtmpMessage) => m.type === MessageType.CommandAmf0;

describe("captured ffmpeg publish, decoded", () => {
  const messages = decodeClientBytes([fixture]);

  it("is a small capture", () => {
    expect(fixture.length).toBeLessThan(200 * 1024);
  });

  it("contains the NetConnection/NetStream command sequence", () => {
    const commands = messages.filter(isCommand).map(decodeCommand);
    expect(commands.map((c) => [c.name, c.transactionId, c.streamId])).toEqual([
      ["connect", 1, 0], ["releaseStream", 2, 0], ["FCPublish", 3, 0], ["createStream", 4, 0],
      ["_checkbw", 5, 0], ["publish", 6, 1], ["FCUnpublish", 7, 0], ["deleteStream", 8, 0],
    ]);
    expect(commands[0].object).toMatchObject({ app: "live", type: "nonprivate", flashVer: expect.stringMatching(/^FMLE\/3\.0/) });
    expect((commands[0].object as { tcUrl: string }).tcUrl).toMatch(/^rtmp:\/\/127\.0\.0\.1:\d+\/live$/);
    expect(commands[5].args).toEqual(["show?vhost=a.example.com&auth_key=secret", "live"]);
    expect(commands[7].args).toEqual([1]);
  });

  it("carries onMetaData wrapped in @setDataFrame", () => {
    const data = messages.filter((m) => m.type === MessageType.DataAmf0);
    expect(data).toHaveLength(1);
    const body = scriptTagBody(data[0])!;
    expect(body.subarray(0, 13)).toEqual(Buffer.from("02000a6f6e4d65746144617461", "hex")); // "onMetaData"
    expect(parseOnMetaData(body)).toMatchObject({ width: 160, height: 90, framerate: 10, videocodecid: 7, audiocodecid: 10 });
  });

  it("carries H.264 and AAC with sequence headers first", () => {
    const video = messages.filter((m) => m.type === MessageType.Video);
    const audio = messages.filter((m) => m.type === MessageType.Audio);
    expect(video).toHaveLength(12); // sequence header + 10 frames + end of sequence
    expect(audio).toHaveLength(24);
    expect(isVideoSequenceHeader(video[0].payload)).toBe(true);
    expect(isAudioSequenceHeader(audio[0].payload)).toBe(true);
    expect(video.filter((m) => isVideoKeyframe(m.payload)).map((m) => m.timestamp)).toEqual([46]);
    expect(video.map((m) => m.timestamp)).toEqual([0, 46, 146, 246, 346, 446, 546, 646, 746, 846, 946, 946]);
    expect(new Set([...video, ...audio].map((m) => m.streamId))).toEqual(new Set([1]));
  });

  it("decodes identically however TCP splits it", () => {
    // Compared as strings: deep-equality on Buffers is slow.
    const flat = (ms: RtmpMessage[]) => ms.map((m) => `${m.chunkStreamId}/${m.type}/${m.streamId}/${m.timestamp}/${m.payload.toString("base64")}`);
    const reference = flat(messages);
    for (const seed of [1, 2, 3, 4, 5]) {
      expect(flat(decodeClientBytes(randomPieces(fixture, seed, 700)))).toEqual(reference);
    }
    expect(flat(decodeClientBytes(randomPieces(fixture, 9, 3)))).toEqual(reference);
  });
});

describe("captured ffmpeg publish, replayed into RtmpServer", () => {
  let server: RtmpServer | undefined;
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  async function replay(decide: (req: RtmpPublishRequest) => Promise<RtmpPublishDecision> | RtmpPublishDecision) {
    const { logger, lines } = memoryLogger();
    server = new RtmpServer({ host: "127.0.0.1", port: 0, logger, onPublish: decide });
    await server.listen();
    const socket = net.connect(server.port, "127.0.0.1");
    const fromServer: Buffer[] = [];
    socket.on("data", (d) => fromServer.push(d));
    socket.on("error", () => undefined);
    const closed = new Promise((resolve) => socket.on("close", resolve));
    for (const piece of randomPieces(fixture, 42, 1500)) socket.write(piece);
    return { lines, fromServer, closed, socket };
  }

  it("delivers every tag and ends with unpublish", async () => {
    const tags: [number, number, Buffer][] = [];
    const ends: string[] = [];
    let request: RtmpPublishRequest | undefined;
    const { lines, socket } = await replay((req) => {
      request = req;
      return { accept: true, sink: { onTag: (t, ts, p) => tags.push([t, ts, p]), onEnd: (r) => ends.push(r) } };
    });
    await waitFor(() => ends.length > 0, { what: "onEnd" });
    socket.destroy();

    expect(request).toMatchObject({ app: "live", streamName: "show", remoteAddress: "127.0.0.1" });
    expect(Object.fromEntries(request!.query)).toEqual({ vhost: "a.example.com", auth_key: "secret" });
    expect(request!.tcUrl).toMatch(/\/live$/);
    const expected = decodeClientBytes([fixture])
      .filter((m) => m.type === 8 || m.type === 9 || m.type === 18)
      .map((m) => [m.type, m.timestamp, m.type === 18 ? scriptTagBody(m) : m.payload]);
    expect(tags).toEqual(expected);
    await waitFor(() => server!.connectionCount === 0, { what: "connection to close" });
    expect(ends).toEqual(["unpublish"]);
    const log = lines.join("");
    expect(log).toContain('"streamName":"show"');
    expect(log).not.toContain("secret");
    expect(log).not.toContain("auth_key");
    expect(log).not.toContain("vhost");
  });

  it("holds media while the publish decision is pending", async () => {
    const tags: number[] = [];
    let decidedAt = 0;
    let firstTagAt = 0;
    await replay(async () => {
      await new Promise((r) => setTimeout(r, 300)); // all client bytes arrive meanwhile
      decidedAt = Date.now();
      return {
        accept: true,
        sink: { onTag: (t) => { firstTagAt ||= Date.now(); tags.push(t); }, onEnd: () => undefined },
      };
    });
    await waitFor(() => tags.length === 37, { what: "all 37 tags" });
    expect(firstTagAt).toBeGreaterThanOrEqual(decidedAt);
  });

  it("rejects with an error onStatus and closes, calling nothing on any sink", async () => {
    const { fromServer, closed } = await replay(() => ({
      accept: false, code: "Unauthorized", description: "bad auth_key",
    }));
    await closed;
    const replies = decodeServerBytes(Buffer.concat(fromServer));
    const status = replies.filter(isCommand).map(decodeCommand).find((c) => c.name === "onStatus")!;
    expect(status.streamId).toBe(1);
    expect(status.args[0]).toMatchObject({ level: "error", code: "NetStream.Publish.Unauthorized", description: "bad auth_key" });
  });
});

/** Server→client bytes: S0+S1+S2 (3073 bytes) then chunks. */
function decodeServerBytes(bytes: Buffer): RtmpMessage[] {
  const messages: RtmpMessage[] = [];
  new ChunkReader((m) => messages.push(m)).push(bytes.subarray(3073));
  return messages;
}
