// Readers of the container the publisher did not use: muxed from the stream's frames once per
// stream, started at a keyframe, decodable (ffprobe), and shared by every such reader.
import { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { LiveStream } from "../../../relay-service/src/hub/live-stream";
import type { Subscriber } from "../../../relay-service/src/hub/subscriber";
import { FlvReader } from "../../../relay-service/src/media/flv-reader";
import { decodeErrors, makeTempDir, probeMediaFile, runProcess, streamOfType } from "../../helpers/media";

let dir: string;
let cleanup: () => void;

class Collector implements Subscriber {
  chunks: Buffer[] = [];
  closed?: string;
  constructor(readonly name = "reader") {}
  write(chunk: Buffer) {
    this.chunks.push(chunk);
  }
  queuedBytes() {
    return 0;
  }
  close(reason: "ended" | "overflow") {
    this.closed = reason;
  }
}

async function fixture(name: string, format: "flv" | "mpegts"): Promise<Buffer> {
  const file = path.join(dir, name);
  const r = await runProcess("ffmpeg", [
    "-hide_banner", "-loglevel", "error", "-y",
    "-f", "lavfi", "-i", "testsrc2=size=320x180:rate=30", "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=44100",
    "-t", "3", "-c:v", "libx264", "-preset", "veryfast", "-g", "30", "-c:a", "aac", "-f", format, file,
  ]);
  if (r.code !== 0) throw new Error(r.stderr);
  return readFileSync(file);
}

const isIncreasing = (xs: number[]) => xs.every((x, i) => i === 0 || x > xs[i - 1]);

/** Video packet timestamps of a file, in file order. */
async function packetDts(file: string): Promise<number[]> {
  const r = await runProcess("ffprobe", ["-v", "error", "-select_streams", "v:0", "-show_entries", "packet=dts", "-of", "csv=p=0", file]);
  return r.stdout.split("\n").map((l) => l.replace(/,+$/, "").trim()).filter((l) => /^-?\d+$/.test(l)).map(Number);
}

const key = { domain: "d.example.com", appName: "live", streamName: "s" };

/** Feeds an FLV file to an RTMP-published stream tag by tag; `at(n)` runs before tag n. */
function publishFlv(stream: LiveStream, flv: Buffer, at: (n: number) => void): void {
  let n = 0;
  new FlvReader((tag) => {
    at(n++);
    stream.pushFlvTag(tag.type, tag.timestamp, Buffer.from(tag.payload));
  }).push(flv);
}

async function expectDecodable(file: string, minVideoFrames: number) {
  const probe = await probeMediaFile(file);
  expect(streamOfType(probe, "video")).toMatchObject({ codec_name: "h264", width: 320, height: 180 });
  expect(Number(streamOfType(probe, "video")!.nb_read_frames)).toBeGreaterThanOrEqual(minVideoFrames);
  expect(streamOfType(probe, "audio")).toMatchObject({ codec_name: "aac", sample_rate: "44100" });
  expect(await decodeErrors(file)).toBe("");
}

beforeAll(() => ({ dir, cleanup } = makeTempDir("liverelay-cross-")));
afterAll(() => cleanup());

describe("cross-container readers", () => {
  it("RTMP (FLV) ingest read as MPEG-TS: one muxer shared by every TS reader, dropped with the last", async () => {
    const flv = await fixture("in.flv", "flv");
    const stream = new LiveStream(key, "rtmp");
    const a = new Collector("a");
    const b = new Collector("b");
    let unsubscribeA = () => {};
    publishFlv(stream, flv, (n) => {
      if (n === 100) unsubscribeA = stream.subscribe(a, { container: "mpegts" }); // mid-GOP: starts at the cached keyframe
      if (n === 100) stream.subscribe(b, { container: "mpegts" });
    });
    expect(a.chunks.length).toBeGreaterThan(10);
    // Muxed once: both readers got the very same buffers.
    expect(b.chunks.every((chunk, i) => chunk === a.chunks[i])).toBe(true);
    const file = path.join(dir, "rtmp-as.ts");
    writeFileSync(file, Buffer.concat(a.chunks));
    await expectDecodable(file, 30);
    expect(stream.subscriberCount).toBe(2);
    unsubscribeA();
    expect(stream.subscriberCount).toBe(1);
    stream.end();
    expect(b.closed).toBe("ended");
  });

  it("SRT (MPEG-TS) ingest read as FLV, chunks cut anywhere", async () => {
    const ts = await fixture("in.ts", "mpegts");
    const stream = new LiveStream(key, "srt");
    const reader = new Collector();
    const native = new Collector("native");
    const fromStart = new Collector("from-start"); // waits for the first keyframe, then gets each tag once
    stream.subscribe(native);
    stream.subscribe(fromStart, { container: "flv" });
    const joinAt = Math.floor(ts.length / 3000) * 1000; // a third in: mid-GOP
    for (let at = 0; at < ts.length; at += 1000) {
      if (at === joinAt) stream.subscribe(reader, { container: "flv" });
      stream.pushTs(ts.subarray(at, at + 1000));
    }
    expect(stream.tracks.video?.codec).toBe("h264");
    expect(stream.tracks.audio?.codec).toBe("aac");
    expect(Buffer.concat(reader.chunks).subarray(0, 3).toString()).toBe("FLV");
    const file = path.join(dir, "srt-as.flv");
    writeFileSync(file, Buffer.concat(reader.chunks));
    await expectDecodable(file, 30);
    const fromStartFile = path.join(dir, "srt-as-from-start.flv");
    writeFileSync(fromStartFile, Buffer.concat(fromStart.chunks));
    await expectDecodable(fromStartFile, 85); // the last access unit waits for a next PES that never comes
    expect(isIncreasing(await packetDts(fromStartFile))).toBe(true);
    // The native reader still gets the publisher's packets untouched: PAT, PMT, then the file from its first keyframe on.
    const nativeBytes = Buffer.concat(native.chunks).subarray(2 * 188);
    expect(nativeBytes.equals(ts.subarray(ts.length - nativeBytes.length))).toBe(true);
  });

  it("a reader of the publisher's own container gets it as before (no conversion)", async () => {
    const flv = await fixture("own.flv", "flv");
    const stream = new LiveStream(key, "rtmp");
    const reader = new Collector();
    publishFlv(stream, flv, (n) => n === 0 && stream.subscribe(reader, { container: "flv" }));
    const file = path.join(dir, "own-out.flv");
    writeFileSync(file, Buffer.concat(reader.chunks));
    await expectDecodable(file, 90);
  });
});
