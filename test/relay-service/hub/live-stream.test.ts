import { describe, expect, it } from "vitest";
import { LiveStream, MAX_SUBSCRIBER_QUEUE_BYTES } from "../../../relay-service/src/hub/live-stream";
import { StreamHub } from "../../../relay-service/src/hub/stream-hub";
import type { Subscriber } from "../../../relay-service/src/hub/subscriber";
import { MAX_GOP_BYTES } from "../../../relay-service/src/hub/flv-gop-cache";

const avcSeq = Buffer.from([0x17, 0x00, 0, 0, 0, 0x01, 0x64]);
const key = (n: number) => Buffer.from([0x17, 0x01, 0, 0, 0, n]);
const inter = (n: number) => Buffer.from([0x27, 0x01, 0, 0, 0, n]);
const aacSeq = Buffer.from([0xaf, 0x00, 0x12, 0x10]);
const aac = (n: number) => Buffer.from([0xaf, 0x01, n]);

/** FLV tags as [type, first payload bytes…] so assertions read like the stream. */
function tagsOf(bytes: Buffer): string[] {
  const out: string[] = [];
  let pos = 13; // header + PreviousTagSize0
  if (bytes.subarray(0, 3).toString() !== "FLV") out.push("no-header");
  while (pos + 11 <= bytes.length) {
    const type = bytes[pos];
    const size = bytes.readUIntBE(pos + 1, 3);
    const payload = bytes.subarray(pos + 11, pos + 11 + size);
    out.push(`${type}:${payload.subarray(0, 2).toString("hex")}:${payload[payload.length - 1]}`);
    pos += 11 + size + 4;
  }
  return out;
}

class Recorder implements Subscriber {
  chunks: Buffer[] = [];
  closed?: string;
  backlog = 0;
  constructor(readonly name = "test") {}
  write(chunk: Buffer) {
    this.chunks.push(chunk);
  }
  queuedBytes() {
    return this.backlog;
  }
  close(reason: "ended" | "overflow") {
    this.closed = reason;
  }
  get tags() {
    return tagsOf(Buffer.concat(this.chunks));
  }
}

const newStream = () => new LiveStream({ domain: "d.example.com", appName: "live", streamName: "s" }, "rtmp");

describe("LiveStream GOP cache", () => {
  it("starts a late reader at the last keyframe, after the sequence headers", () => {
    const s = newStream();
    s.pushFlvTag(9, 0, avcSeq);
    s.pushFlvTag(8, 0, aacSeq);
    s.pushFlvTag(9, 0, key(1));
    s.pushFlvTag(9, 33, inter(2));
    s.pushFlvTag(9, 2000, key(3));
    s.pushFlvTag(8, 2010, aac(4));
    s.pushFlvTag(9, 2033, inter(5));
    const late = new Recorder();
    s.subscribe(late);
    s.pushFlvTag(9, 2066, inter(6));
    expect(late.tags).toEqual(["9:1700:100", "8:af00:16", "9:1701:3", "8:af01:4", "9:2701:5", "9:2701:6"]);
  });

  it("holds a reader that arrives before the first keyframe until it can decode", () => {
    const s = newStream();
    s.pushFlvTag(9, 0, avcSeq);
    const early = new Recorder();
    s.subscribe(early);
    s.pushFlvTag(9, 0, key(1)); // joinable from here
    expect(early.tags[0]).toBe("9:1700:100");
    expect(early.tags).toContain("9:1701:1");
  });

  it("stops caching a GOP that grows past its bound (memory per stream is bounded)", () => {
    const s = newStream();
    s.pushFlvTag(9, 0, avcSeq);
    s.pushFlvTag(9, 0, key(1));
    const big = Buffer.alloc(1024 * 1024, 0);
    big[0] = 0x27;
    big[1] = 0x01;
    for (let i = 0; i < MAX_GOP_BYTES / big.length + 2; i++) s.pushFlvTag(9, i, big);
    const late = new Recorder();
    s.subscribe(late);
    expect(late.chunks).toHaveLength(0); // waits for the next keyframe instead of a 24 MiB+ backlog
    s.pushFlvTag(9, 5000, key(9));
    expect(late.tags).toEqual(["9:1700:100", "9:1701:9"]);
  });

  it("drops a reader whose queue passes the bound; the others keep receiving", () => {
    const s = newStream();
    s.pushFlvTag(9, 0, avcSeq);
    s.pushFlvTag(9, 0, key(1));
    const slow = new Recorder("slow");
    const fast = new Recorder("fast");
    s.subscribe(slow);
    s.subscribe(fast);
    slow.backlog = MAX_SUBSCRIBER_QUEUE_BYTES + 1;
    s.pushFlvTag(9, 33, inter(2));
    s.pushFlvTag(9, 66, inter(3));
    expect(slow.closed).toBe("overflow");
    expect(fast.closed).toBeUndefined();
    expect(fast.tags.slice(-2)).toEqual(["9:2701:2", "9:2701:3"]);
    expect(s.subscriberCount).toBe(1);
  });

  it("ends every reader when the stream ends", () => {
    const s = newStream();
    const r = new Recorder();
    s.subscribe(r);
    s.end();
    expect(r.closed).toBe("ended");
    const after = new Recorder();
    s.subscribe(after);
    expect(after.closed).toBe("ended");
  });
});

describe("StreamHub", () => {
  it("refuses a second publisher and keeps the first; only the holder can unpublish", () => {
    const hub = new StreamHub();
    const key = { domain: "d.example.com", appName: "live", streamName: "s" };
    const events: string[] = [];
    hub.on("stream-start", () => events.push("start"));
    hub.on("stream-end", () => events.push("end"));
    const first = hub.publish(key, "rtmp")!;
    expect(hub.publish(key, "srt")).toBeNull();
    hub.unpublish(newStream()); // an impostor with the same key changes nothing
    expect(hub.get(key)).toBe(first);
    hub.unpublish(first);
    expect(hub.isLive(key)).toBe(false);
    expect(events).toEqual(["start", "end"]);
    expect(hub.publish({ ...key, appName: "Live" }, "rtmp")).not.toBeNull(); // case-sensitive names
  });
});
