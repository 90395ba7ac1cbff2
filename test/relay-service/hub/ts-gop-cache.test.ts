import { execFileSync, spawnSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { LiveStream } from "../../../relay-service/src/hub/live-stream";
import { MAX_GOP_BYTES } from "../../../relay-service/src/hub/flv-gop-cache";
import { readPacketHeader, TS_PACKET_BYTES } from "../../../relay-service/src/media/mpegts";
import { TsGopCache } from "../../../relay-service/src/hub/ts-gop-cache";
import type { Subscriber } from "../../../relay-service/src/hub/subscriber";
import { codecs, probe, tmpDir } from "../../helpers/relay";

// Real MPEG-TS from ffmpeg's and GStreamer's muxers, fed to the hub the way SRT delivers it
// (and worse: chunks not aligned to 188 bytes, garbage in between).

const dir = tmpDir("liverelay-ts-");
const ffmpeg = (args: string[]) => execFileSync("ffmpeg", ["-hide_banner", "-loglevel", "error", "-y", ...args]);
const GOP_FRAMES = 30; // one keyframe a second at 30 fps

function ffmpegTs(name: string, video: string[], audio = true): string {
  const file = path.join(dir, name);
  const audioIn = audio ? ["-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000"] : [];
  const audioOut = audio ? ["-c:a", "aac", "-b:a", "96k"] : [];
  ffmpeg(["-f", "lavfi", "-i", "testsrc2=size=320x240:rate=30", ...audioIn, "-t", "5", ...video, ...audioOut, "-f", "mpegts", file]);
  return file;
}

class Recorder implements Subscriber {
  readonly chunks: Buffer[] = [];
  constructor(readonly name = "reader") {}
  write(chunk: Buffer) {
    this.chunks.push(chunk);
  }
  queuedBytes() {
    return 0;
  }
  close() {}
  bytes() {
    return Buffer.concat(this.chunks);
  }
}

/** Splits `buf` into chunks of the given sizes, cycling through them. */
function* chunked(buf: Buffer, sizes: number[]): Generator<Buffer> {
  for (let at = 0, i = 0; at < buf.length; i++) {
    const size = sizes[i % sizes.length];
    yield buf.subarray(at, at + size);
    at += size;
  }
}

/** Publishes `ts` into a fresh SRT stream; a reader joins after `joinAfter` bytes. Returns what it got. */
function lateReader(ts: Buffer, joinAfter: number, sizes = [1316]): { stream: LiveStream; received: Buffer } {
  const stream = new LiveStream({ domain: "d.example.com", appName: "live", streamName: "s" }, "srt");
  const reader = new Recorder();
  let pushed = 0;
  for (const chunk of chunked(ts, sizes)) {
    if (pushed >= joinAfter && pushed - chunk.length < joinAfter) stream.subscribe(reader);
    stream.pushTs(chunk);
    pushed += chunk.length;
  }
  return { stream, received: reader.bytes() };
}

function firstVideoFrames(file: string, n = 3): { key: boolean; type: string }[] {
  const out = execFileSync("ffprobe", ["-v", "error", "-select_streams", "v:0", "-show_frames", "-show_entries", "frame=key_frame,pict_type", "-read_intervals", `%+#${n}`, "-of", "csv=p=0", file], { encoding: "utf8" });
  return out.trim().split("\n").map((line) => {
    const [key, type] = line.split(",");
    return { key: key === "1", type };
  });
}

/** Clears random_access_indicator everywhere: a muxer that does not mark keyframes. */
function withoutRandomAccess(ts: Buffer): Buffer {
  const copy = Buffer.from(ts);
  for (let at = 0; at + TS_PACKET_BYTES <= copy.length; at += TS_PACKET_BYTES) {
    const hasAdaptation = (copy[at + 3] & 0x20) !== 0;
    if (hasAdaptation && copy[at + 4] > 0) copy[at + 5] &= ~0x40;
  }
  return copy;
}

function pidsOf(ts: Buffer, count: number): number[] {
  const pids: number[] = [];
  for (let at = 0; at < count * TS_PACKET_BYTES; at += TS_PACKET_BYTES) pids.push(readPacketHeader(ts, at).pid);
  return pids;
}

const isAligned = (b: Buffer) => b.length % TS_PACKET_BYTES === 0 && [...Array(b.length / TS_PACKET_BYTES).keys()].every((i) => b[i * TS_PACKET_BYTES] === 0x47);

describe("TsGopCache with real MPEG-TS", () => {
  let h264: Buffer;
  let hevc: Buffer;

  beforeAll(() => {
    h264 = fs.readFileSync(ffmpegTs("h264.ts", ["-c:v", "libx264", "-preset", "ultrafast", "-g", String(GOP_FRAMES)]));
    hevc = fs.readFileSync(ffmpegTs("hevc.ts", ["-c:v", "libx265", "-preset", "ultrafast", "-x265-params", `keyint=${GOP_FRAMES}:min-keyint=${GOP_FRAMES}:log-level=error`], false));
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it("starts a reader joining mid-GOP with PAT, PMT and the last keyframe; it decodes H.264 + AAC from there", () => {
    const { stream, received } = lateReader(h264, Math.floor(h264.length * 0.55), [1000, 1316, 7, 4096]);
    expect(isAligned(received)).toBe(true);
    const [pat, pmt] = pidsOf(received, 2);
    expect(pat).toBe(0);
    expect(pmt).toBe(4096); // ffmpeg's PMT PID
    const file = path.join(dir, "late-h264.ts");
    fs.writeFileSync(file, received);
    expect(firstVideoFrames(file)[0]).toEqual({ key: true, type: "I" });
    const p = probe(file);
    expect(codecs(p)).toEqual(["audio:aac", "video:h264"]);
    expect(p.duration).toBeGreaterThan(2); // ~45 % of 5 s plus the cached part of the GOP
    expect(stream.describe()).toMatchObject({ protocol: "srt", videoCodec: "h264", audioCodec: "aac", width: 320, height: 240 });
  });

  it("caches no more than one GOP", () => {
    const cache = new TsGopCache();
    for (const chunk of chunked(h264, [1316])) cache.add(chunk);
    const oneSecond = h264.length / 5;
    expect(cache.bytes).toBeGreaterThan(0);
    expect(cache.bytes).toBeLessThan(oneSecond * 1.5);
  });

  it("finds the same keyframes from H.264 IDR NAL units when the muxer sets no random_access_indicator", () => {
    const marked = new TsGopCache();
    const unmarked = new TsGopCache();
    const stripped = withoutRandomAccess(h264);
    const cuts: [number, number][] = [];
    for (let at = 0; at < h264.length; at += 1316) {
      marked.add(h264.subarray(at, at + 1316));
      unmarked.add(stripped.subarray(at, at + 1316));
      cuts.push([marked.bytes, unmarked.bytes]);
    }
    // Same cut points all along: the GOP sizes agree at every step.
    expect(cuts.filter(([a, b]) => a !== b)).toEqual([]);
    const file = path.join(dir, "late-unmarked.ts");
    fs.writeFileSync(file, lateReader(stripped, Math.floor(stripped.length * 0.7)).received);
    expect(firstVideoFrames(file)[0]).toEqual({ key: true, type: "I" });
  });

  it("finds HEVC IRAP pictures the same way, and names the codec hevc", () => {
    const file = path.join(dir, "late-hevc.ts");
    const { stream, received } = lateReader(withoutRandomAccess(hevc), Math.floor(hevc.length * 0.6));
    fs.writeFileSync(file, received);
    expect(firstVideoFrames(file)[0].key).toBe(true);
    expect(codecs(probe(file))).toEqual(["video:hevc"]);
    expect(stream.describe()).toMatchObject({ videoCodec: "hevc", audioCodec: null, width: null, height: null }); // HEVC SPS not parsed
  });

  it("handles GStreamer's mpegtsmux (its own PIDs, random_access_indicator set)", () => {
    const file = path.join(dir, "gst.ts");
    const res = spawnSync("gst-launch-1.0", ["-q", "videotestsrc", "num-buffers=150", "!", "video/x-raw,width=320,height=240,framerate=30/1", "!", "x264enc", `key-int-max=${GOP_FRAMES}`, "!", "h264parse", "!", "mpegtsmux", "!", "filesink", `location=${file}`]);
    expect(res.status, String(res.stderr)).toBe(0);
    const gst = fs.readFileSync(file);
    const late = path.join(dir, "late-gst.ts");
    fs.writeFileSync(late, lateReader(gst, Math.floor(gst.length * 0.5)).received);
    expect(firstVideoFrames(late)[0].key).toBe(true);
    expect(codecs(probe(late))).toEqual(["video:h264"]);
  });

  it.each([
    ["640x360", ["-pix_fmt", "yuv420p"], { width: 640, height: 360 }], // High profile, cropped from 368 lines
    ["176x144", ["-profile:v", "baseline"], { width: 176, height: 144 }],
    ["322x242", ["-pix_fmt", "yuv444p"], { width: 322, height: 242 }], // High 4:4:4: chroma format 3, crop in single pixels
  ])("reads the picture size %s from the H.264 SPS", (size, extra, expected) => {
    const file = path.join(dir, `size-${size}.ts`);
    ffmpeg(["-f", "lavfi", "-i", `testsrc2=size=${size}:rate=30`, "-t", "0.3", "-c:v", "libx264", "-preset", "ultrafast", ...extra, "-f", "mpegts", file]);
    const cache = new TsGopCache();
    cache.add(fs.readFileSync(file));
    expect(cache.mediaInfo()).toMatchObject({ videoCodec: "h264", ...expected });
  });

  it("resyncs on 0x47 after garbage and keeps readers' output aligned", () => {
    const garbage = Buffer.alloc(333, 0x47); // sync-looking bytes too
    const dirty = Buffer.concat([garbage, h264.subarray(0, 188 * 700), Buffer.from([1, 2, 3, 0x47, 5]), h264.subarray(188 * 700)]);
    const stream = new LiveStream({ domain: "d.example.com", appName: "live", streamName: "g" }, "srt");
    const reader = new Recorder();
    stream.subscribe(reader);
    for (const chunk of chunked(dirty, [777])) stream.pushTs(chunk);
    const received = reader.bytes();
    expect(isAligned(received)).toBe(true);
    const file = path.join(dir, "dirty.ts");
    fs.writeFileSync(file, received);
    expect(codecs(probe(file))).toEqual(["audio:aac", "video:h264"]);
    expect(received.length).toBeGreaterThan(h264.length * 0.95);
  });

  it("lets a reader join an audio-only stream once the PMT is known", () => {
    const file = path.join(dir, "audio.ts");
    ffmpeg(["-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000", "-t", "3", "-c:a", "aac", "-f", "mpegts", file]);
    const audio = fs.readFileSync(file);
    const cache = new TsGopCache();
    cache.add(audio.subarray(0, 188 * 3)); // SDT, PAT, PMT
    expect(cache.joinable).toBe(true);
    expect(cache.mediaInfo()).toMatchObject({ videoCodec: null, audioCodec: "aac" });
  });

  it("is not joinable before the PMT, and stops caching a GOP past its byte bound", () => {
    const cache = new TsGopCache();
    expect(cache.joinable).toBe(false);
    let at = 0;
    while (!cache.joinable) cache.add(h264.subarray(at, (at += 188)));
    expect(at / 188).toBe(4); // SDT, PAT, PMT, then the first video packet: a keyframe
    // One video packet (no keyframe) repeated past the bound.
    const videoPid = readPacketHeader(h264, at - 188).pid;
    const filler = Buffer.from(h264.subarray(at - 188, at));
    filler[1] = (filler[1] & ~0x40 & 0xe0) | (videoPid >> 8); // no payload_unit_start
    const block = Buffer.concat(Array.from({ length: 5000 }, () => filler));
    for (let sent = 0; sent <= MAX_GOP_BYTES; sent += block.length) cache.add(block);
    expect(cache.joinable).toBe(false);
    expect(cache.bytes).toBe(0);
  });
});
