import { describe, expect, it } from "vitest";
import { ChunkReader, ChunkReaderLimits } from "../../../relay-service/src/rtmp/chunk-reader";
import { ChunkWriter, encodeBasicHeader } from "../../../relay-service/src/rtmp/chunk-writer";
import { RtmpMessage, RtmpProtocolError } from "../../../relay-service/src/rtmp/protocol";

interface Fields {
  ts?: number; // timestamp (fmt 0) or delta (fmt 1/2); value of the extended field for fmt 3
  len?: number;
  type?: number;
  sid?: number;
  ext?: boolean; // fmt 3 only: append a 4-byte extended timestamp
}

/** Builds one chunk by hand, exactly as the spec lays it out. */
function chunk(fmt: 0 | 1 | 2 | 3, csid: number, f: Fields, body: Buffer = Buffer.alloc(0)): Buffer {
  const parts = [encodeBasicHeader(fmt, csid)];
  const ts = f.ts ?? 0;
  const extended = fmt === 3 ? f.ext === true : ts >= 0xffffff;
  if (fmt < 3) {
    const h = Buffer.alloc([11, 7, 3][fmt]);
    h.writeUIntBE(extended ? 0xffffff : ts, 0, 3);
    if (fmt < 2) {
      h.writeUIntBE(f.len ?? body.length, 3, 3);
      h[6] = f.type ?? 8;
    }
    if (fmt === 0) h.writeUInt32LE(f.sid ?? 1, 7);
    parts.push(h);
  }
  if (extended) {
    const e = Buffer.alloc(4);
    e.writeUInt32BE(ts >>> 0);
    parts.push(e);
  }
  parts.push(body);
  return Buffer.concat(parts);
}

function bytes(n: number, seed = 0): Buffer {
  return Buffer.from(Array.from({ length: n }, (_, i) => (i * 7 + seed) & 0xff));
}

function setChunkSize(size: number): Buffer {
  const p = Buffer.alloc(4);
  p.writeUInt32BE(size >>> 0);
  return chunk(0, 2, { type: 1, sid: 0 }, p);
}

function collect(limits?: Partial<ChunkReaderLimits>): { reader: ChunkReader; messages: RtmpMessage[] } {
  const messages: RtmpMessage[] = [];
  return { reader: new ChunkReader((m) => messages.push(m), limits), messages };
}

function parse(stream: Buffer, limits?: Partial<ChunkReaderLimits>): RtmpMessage[] {
  const { reader, messages } = collect(limits);
  reader.push(stream);
  return messages;
}

const summary = (m: RtmpMessage) => ({ csid: m.chunkStreamId, type: m.type, sid: m.streamId, ts: m.timestamp, len: m.payload.length });

describe("ChunkReader header formats", () => {
  it("fmt 0 carries everything", () => {
    const [m] = parse(chunk(0, 4, { ts: 1000, type: 8, sid: 1 }, bytes(3)));
    expect(summary(m)).toEqual({ csid: 4, type: 8, sid: 1, ts: 1000, len: 3 });
    expect(m.payload).toEqual(bytes(3));
  });

  it("fmt 1/2/3 inherit fields and accumulate timestamp deltas", () => {
    const stream = Buffer.concat([
      chunk(0, 4, { ts: 1000, type: 8, sid: 1 }, bytes(3)),
      chunk(1, 4, { ts: 20, type: 9 }, bytes(4)), // new length and type, delta 20
      chunk(2, 4, { ts: 30 }, bytes(4)), // same length/type, delta 30
      chunk(3, 4, {}, bytes(4)), // everything repeated, including delta 30
    ]);
    expect(parse(stream).map((m) => [m.type, m.streamId, m.timestamp, m.payload.length])).toEqual([
      [8, 1, 1000, 3], [9, 1, 1020, 4], [9, 1, 1050, 4], [9, 1, 1080, 4],
    ]);
  });

  it("fmt 3 right after fmt 0 reuses the fmt 0 timestamp as delta (ffmpeg/GStreamer writers)", () => {
    const stream = Buffer.concat([chunk(0, 5, { ts: 40, type: 9 }, bytes(2)), chunk(3, 5, {}, bytes(2))]);
    expect(parse(stream).map((m) => m.timestamp)).toEqual([40, 80]);
  });

  it("wraps timestamps at 32 bits", () => {
    const stream = Buffer.concat([chunk(0, 4, { ts: 0xfffffff0 }, bytes(1)), chunk(2, 4, { ts: 0x20 }, bytes(1))]);
    expect(parse(stream).map((m) => m.timestamp)).toEqual([0xfffffff0, 0x10]);
  });

  it("reads 2- and 3-byte basic headers", () => {
    const stream = Buffer.concat([chunk(0, 100, { ts: 1 }, bytes(2)), chunk(0, 1000, { ts: 2 }, bytes(3)), chunk(0, 65599, { ts: 3 }, bytes(1))]);
    expect(parse(stream).map((m) => [m.chunkStreamId, m.timestamp])).toEqual([[100, 1], [1000, 2], [65599, 3]]);
  });

  it("emits zero-length messages", () => {
    const [m] = parse(chunk(0, 3, { ts: 5, type: 20, len: 0 }));
    expect(summary(m)).toEqual({ csid: 3, type: 20, sid: 1, ts: 5, len: 0 });
  });
});

describe("ChunkReader chunking", () => {
  it("reassembles a message from 128-byte chunks", () => {
    const body = bytes(300);
    const stream = Buffer.concat([
      chunk(0, 6, { ts: 0, type: 9, len: 300 }, body.subarray(0, 128)),
      chunk(3, 6, {}, body.subarray(128, 256)),
      chunk(3, 6, {}, body.subarray(256)),
    ]);
    const [m] = parse(stream);
    expect(m.payload).toEqual(body);
  });

  it("handles extended timestamps on fmt 0 and repeated on fmt 3 continuations", () => {
    const body = bytes(300);
    const ts = 0x01234567;
    const stream = Buffer.concat([
      chunk(0, 6, { ts, type: 9, len: 300 }, body.subarray(0, 128)),
      chunk(3, 6, { ts, ext: true }, body.subarray(128, 256)),
      chunk(3, 6, { ts, ext: true }, body.subarray(256)),
    ]);
    const [m] = parse(stream);
    expect(m.timestamp).toBe(ts);
    expect(m.payload).toEqual(body);
  });

  it("treats exactly 0xFFFFFF as an extended timestamp marker", () => {
    const [m] = parse(chunk(0, 4, { ts: 0xffffff }, bytes(1)));
    expect(m.timestamp).toBe(0xffffff);
  });

  it("applies an extended delta to later fmt 3 messages", () => {
    const stream = Buffer.concat([
      chunk(0, 4, { ts: 10 }, bytes(1)),
      chunk(2, 4, { ts: 0x1000000 }, bytes(1)), // extended delta
      chunk(3, 4, { ts: 0x1000000, ext: true }, bytes(1)), // new message, same delta, field repeated
      chunk(0, 4, { ts: 7 }, bytes(1)), // back to a plain header: no extended field any more
      chunk(3, 4, {}, bytes(1)),
    ]);
    expect(parse(stream).map((m) => m.timestamp)).toEqual([10, 0x100000a, 0x200000a, 7, 14]);
  });

  it("follows Set Chunk Size changes, larger and smaller", () => {
    const big = bytes(3000, 1);
    const stream = Buffer.concat([
      setChunkSize(4096),
      chunk(0, 6, { type: 9, len: 3000 }, big), // fits one chunk now
      setChunkSize(1),
      chunk(0, 4, { ts: 3, len: 3 }, bytes(1)),
      chunk(3, 4, {}, bytes(3).subarray(1, 2)),
      chunk(3, 4, {}, bytes(3).subarray(2)),
    ]);
    const { reader, messages } = collect();
    reader.push(stream);
    expect(messages.map((m) => m.payload)).toEqual([big, bytes(3)]);
    expect(reader.incomingChunkSize).toBe(1);
  });

  it("reassembles interleaved chunk streams", () => {
    const video = bytes(300, 3);
    const audio = bytes(200, 9);
    const stream = Buffer.concat([
      chunk(0, 6, { ts: 40, type: 9, len: 300 }, video.subarray(0, 128)),
      chunk(0, 4, { ts: 41, type: 8, len: 200 }, audio.subarray(0, 128)),
      chunk(3, 6, {}, video.subarray(128, 256)),
      chunk(3, 4, {}, audio.subarray(128)),
      chunk(3, 6, {}, video.subarray(256)),
    ]);
    const messages = parse(stream);
    expect(messages.map((m) => [m.type, m.timestamp])).toEqual([[8, 41], [9, 40]]);
    expect(messages[0].payload).toEqual(audio);
    expect(messages[1].payload).toEqual(video);
  });

  it("drops a partial message on Abort", () => {
    const abort = Buffer.alloc(4);
    abort.writeUInt32BE(6);
    const stream = Buffer.concat([
      chunk(0, 6, { type: 9, len: 300 }, bytes(128)),
      chunk(0, 2, { type: 2, sid: 0 }, abort),
      chunk(0, 6, { ts: 5, type: 9 }, bytes(10)),
    ]);
    expect(parse(stream).map((m) => [m.timestamp, m.payload.length])).toEqual([[5, 10]]);
  });

  it("round-trips what ChunkWriter produces", () => {
    const writer = new ChunkWriter();
    const messages: RtmpMessage[] = [
      { chunkStreamId: 3, type: 20, streamId: 0, timestamp: 0, payload: bytes(500) },
      { chunkStreamId: 6, type: 9, streamId: 1, timestamp: 0x7fffffff, payload: bytes(1000) },
      { chunkStreamId: 400, type: 8, streamId: 1, timestamp: 33, payload: bytes(5) },
    ];
    const wire = Buffer.concat(messages.map((m) => writer.encode(m)));
    expect(parse(wire)).toEqual(messages);
  });
});

describe("ChunkReader with arbitrary TCP segmentation", () => {
  const stream = Buffer.concat([
    chunk(0, 4, { ts: 1000, type: 8, sid: 1, len: 200 }, bytes(128, 1)),
    chunk(0, 70, { ts: 5, type: 20, sid: 0 }, bytes(20, 2)),
    chunk(3, 4, {}, bytes(200, 1).subarray(128)),
    chunk(0, 6, { ts: 0x1000000, type: 9, len: 140 }, bytes(128, 3)),
    chunk(3, 6, { ts: 0x1000000, ext: true }, bytes(140, 3).subarray(128)),
    setChunkSize(50),
    chunk(0, 500, { ts: 9, type: 18, len: 60 }, bytes(50, 4)),
    chunk(3, 500, {}, bytes(60, 4).subarray(50)),
    chunk(1, 4, { ts: 23, len: 10, type: 8 }, bytes(10, 5)),
  ]);
  const expected = parse(stream);

  it("decodes the reference stream", () => {
    expect(expected.map(summary)).toEqual([
      { csid: 70, type: 20, sid: 0, ts: 5, len: 20 },
      { csid: 4, type: 8, sid: 1, ts: 1000, len: 200 },
      { csid: 6, type: 9, sid: 1, ts: 0x1000000, len: 140 },
      { csid: 500, type: 18, sid: 1, ts: 9, len: 60 },
      { csid: 4, type: 8, sid: 1, ts: 1023, len: 10 },
    ]);
  });

  it("gives the same messages when split at every byte boundary", () => {
    for (let split = 1; split < stream.length; split++) {
      const { reader, messages } = collect();
      reader.push(stream.subarray(0, split));
      reader.push(stream.subarray(split));
      expect(messages, `split at ${split}`).toEqual(expected);
    }
  });

  it("gives the same messages when fed one byte at a time", () => {
    const { reader, messages } = collect();
    for (let i = 0; i < stream.length; i++) reader.push(stream.subarray(i, i + 1));
    expect(messages).toEqual(expected);
  });
});

describe("ChunkReader limits and malformed input", () => {
  it("rejects a message longer than the limit", () => {
    expect(() => parse(chunk(0, 4, { len: 1001 }), { maxMessageLength: 1000 })).toThrow(RtmpProtocolError);
    expect(() => parse(chunk(0, 4, { len: 0xffffff }))).toThrow(/exceeds limit/);
  });

  it("rejects absurd chunk sizes", () => {
    expect(() => parse(setChunkSize(0))).toThrow(/invalid chunk size/);
    expect(() => parse(setChunkSize(0x80000000))).toThrow(/invalid chunk size/);
    expect(() => parse(setChunkSize(0x7fffffff))).not.toThrow(); // spec maximum
  });

  it("rejects fmt 1–3 on a chunk stream never opened with fmt 0", () => {
    expect(() => parse(chunk(3, 4, {}))).toThrow(RtmpProtocolError);
    expect(() => parse(chunk(1, 4, { len: 1 }, bytes(1)))).toThrow(RtmpProtocolError);
  });

  it("rejects a new message header before the previous message completed", () => {
    const stream = Buffer.concat([chunk(0, 4, { len: 300 }, bytes(128)), chunk(0, 4, { len: 1 }, bytes(1))]);
    expect(() => parse(stream)).toThrow(/before previous message completed/);
  });

  it("bounds the number of chunk streams and buffered partial messages", () => {
    const many = Buffer.concat([3, 4, 5, 6, 7].map((csid) => chunk(0, csid, {}, bytes(1))));
    expect(() => parse(many, { maxChunkStreams: 4 })).toThrow(/chunk streams/);
    const partials = Buffer.concat([4, 5, 6].map((csid) => chunk(0, csid, { len: 1000 }, bytes(128))));
    expect(() => parse(partials, { maxPendingBytes: 300 })).toThrow(/incomplete messages/);
  });
});
