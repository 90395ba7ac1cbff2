import { describe, expect, it } from "vitest";
import { LiveStream } from "../../../relay-service/src/hub/live-stream";
import { claimPlayerSlot } from "../../../relay-service/src/playback/player-attach";
import { ReaderRegistry } from "../../../relay-service/src/playback/reader-registry";

const KEY = { domain: "d.example.com", appName: "live", streamName: "show" };
const AVC_HEADER = Buffer.from([0x17, 0x00, 0, 0, 0, 0x01, 0x64, 0x00, 0x1f, 0xff, 0xe1, 0x00, 0x00, 0x01, 0x00, 0x00]);
const keyframe = (n: number) => Buffer.concat([Buffer.from([0x17, 0x01, 0, 0, 0, 0, 0, 0, 1, 0x65]), Buffer.alloc(n)]);
const interframe = (n: number) => Buffer.concat([Buffer.from([0x27, 0x01, 0, 0, 0, 0, 0, 0, 1, 0x41]), Buffer.alloc(n)]);

describe("claimPlayerSlot", () => {
  it("feeds a player from the cached keyframe; a player that stops reading is dropped, counted and its place freed", () => {
    const stream = new LiveStream(KEY, "rtmp");
    stream.pushFlvTag(9, 0, AVC_HEADER);
    stream.pushFlvTag(9, 0, keyframe(1000));
    const readers = new ReaderRegistry({ maxReaders: 10, maxReadersPerStream: 10 });
    const dropped: string[] = [];
    const slot = claimPlayerSlot({ readers, onDropped: (p) => dropped.push(p) }, stream, "flv", "flv");
    if (typeof slot === "string") throw new Error(`refused: ${slot}`);
    let queued = 0;
    const ends: string[] = [];
    slot.attach({ write: (chunk) => void (queued += chunk.length), queuedBytes: () => queued, end: (reason) => ends.push(reason) });
    expect(queued).toBeGreaterThan(1000); // header, sequence header and the keyframe
    expect(readers.counts(KEY).flv).toBe(1);
    for (let i = 1; i <= 5 && ends.length === 0; i++) stream.pushFlvTag(9, i * 33, interframe(2 * 1024 * 1024)); // never drained
    expect(ends).toEqual(["overflow"]);
    expect(dropped).toEqual(["flv"]);
    expect(readers.counts(KEY).flv).toBe(0);
    expect(stream.subscriberCount).toBe(0);
  });

  it("refuses a player over the limits before anything is sent, and has room again once one leaves", () => {
    const stream = new LiveStream(KEY, "rtmp");
    const readers = new ReaderRegistry({ maxReaders: 1, maxReadersPerStream: 1 });
    const first = claimPlayerSlot({ readers }, stream, "rtmp", "flv");
    expect(typeof first).toBe("object");
    expect(claimPlayerSlot({ readers }, stream, "flv", "flv")).toBe("max-readers");
    if (typeof first !== "string") first.release();
    expect(typeof claimPlayerSlot({ readers }, stream, "flv", "flv")).toBe("object");
  });
});
