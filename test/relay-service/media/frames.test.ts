// Both directions of every container conversion, checked with real media: ffmpeg makes FLV and
// MPEG-TS fixtures, the media/ modules turn them into frames and back into the other container,
// and ffprobe / ffmpeg decode the result (codecs, every frame, monotonic timestamps, no errors).
import { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FlvReader } from "../../../relay-service/src/media/flv-reader";
import { flvFileHeader, flvTag } from "../../../relay-service/src/media/flv";
import { FlvFrameDemuxer, flvFrameTag, flvOnMetaData, flvSequenceHeader } from "../../../relay-service/src/media/flv-frames";
import type { MediaFrame, Track } from "../../../relay-service/src/media/frame";
import { TsPacketizer } from "../../../relay-service/src/media/mpegts";
import { TsFrameDemuxer } from "../../../relay-service/src/media/ts-demux";
import { TsMuxer } from "../../../relay-service/src/media/ts-mux";
import { decodeErrors, makeTempDir, probeMediaFile, runProcess, streamOfType } from "../../helpers/media";

let dir: string;
let cleanup: () => void;

async function ffmpeg(args: string[]): Promise<void> {
  const r = await runProcess("ffmpeg", ["-hide_banner", "-loglevel", "error", "-y", ...args]);
  if (r.code !== 0) throw new Error(`ffmpeg failed: ${r.stderr}`);
}

/** 2 s of 320x180 30 fps video (B-frames: pts ≠ dts) + 48 kHz AAC, in `format`. */
async function fixture(name: string, format: "flv" | "mpegts", videoCodec: "libx264" | "libx265" = "libx264"): Promise<string> {
  const file = path.join(dir, name);
  const x265 = videoCodec === "libx265" ? ["-x265-params", "log-level=error"] : [];
  await ffmpeg([
    "-f", "lavfi", "-i", "testsrc2=size=320x180:rate=30", "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000",
    "-t", "2", "-c:v", videoCodec, ...x265, "-preset", "veryfast", "-g", "30", "-bf", "2", "-pix_fmt", "yuv420p", "-c:a", "aac", "-b:a", "64k",
    "-f", format, file,
  ]);
  return file;
}

/** Packet timestamps of a stream, in file order. */
async function packetDts(file: string, stream: "v:0" | "a:0"): Promise<number[]> {
  const r = await runProcess("ffprobe", ["-v", "error", "-select_streams", stream, "-show_entries", "packet=dts", "-of", "csv=p=0", file]);
  return r.stdout.split("\n").map((l) => l.replace(/,+$/, "").trim()).filter((l) => /^-?\d+$/.test(l)).map(Number);
}

const isIncreasing = (xs: number[]) => xs.every((x, i) => i === 0 || x > xs[i - 1]);

function flvFrames(file: string): MediaFrame[] {
  const demuxer = new FlvFrameDemuxer();
  const frames: MediaFrame[] = [];
  new FlvReader((tag) => {
    const frame = demuxer.push(tag.type, tag.timestamp, tag.payload);
    if (frame) frames.push(frame);
  }).push(readFileSync(file));
  return frames;
}

function tsFrames(file: string): MediaFrame[] {
  const frames: MediaFrame[] = [];
  const demuxer = new TsFrameDemuxer((f) => frames.push(f));
  demuxer.push(new TsPacketizer().push(readFileSync(file)));
  demuxer.push(endOfStream()); // the last video PES is complete once another one starts
  return frames;
}

/** A lone PES start on every video PID candidate flushes the demuxer's last access unit. */
function endOfStream(): Buffer {
  const packet = Buffer.alloc(188, 0xff);
  packet.set([0x47, 0x41, 0x00, 0x10, 0, 0, 1, 0xe0, 0, 0, 0x80, 0, 0]);
  return packet;
}

/** Tracks as a stream keeps them: the latest of each kind seen so far. */
function withTracks(frames: MediaFrame[]): { frame: MediaFrame; tracks: { video?: Track; audio?: Track } }[] {
  const tracks: { video?: Track; audio?: Track } = {};
  const first = { video: frames.find((f) => f.track.kind === "video")?.track, audio: frames.find((f) => f.track.kind === "audio")?.track };
  return frames.map((frame) => {
    tracks[frame.track.kind] = frame.track;
    return { frame, tracks: { ...first, ...tracks } };
  });
}

function writeTs(file: string, frames: MediaFrame[]): void {
  const muxer = new TsMuxer();
  writeFileSync(file, Buffer.concat(withTracks(frames).map(({ frame, tracks }) => muxer.mux(frame, tracks))));
}

function writeFlv(file: string, frames: MediaFrame[]): void {
  const video = frames.find((f) => f.track.kind === "video")?.track;
  const audio = frames.find((f) => f.track.kind === "audio")?.track;
  const tags = [flvTag(18, 0, flvOnMetaData({ video, audio }))];
  for (const track of [video, audio]) if (track) tags.push(flvTag(...tagArgs(flvSequenceHeader(track))));
  for (const frame of frames) tags.push(flvTag(...tagArgs(flvFrameTag(frame))));
  writeFileSync(file, Buffer.concat([flvFileHeader({ audio: !!audio, video: !!video }), ...tags]));
}

const tagArgs = (t: ReturnType<typeof flvFrameTag>) => [t.type, t.timestamp, t.payload] as const;

async function expectPlayable(file: string, videoCodec: string, videoFrames: number, audioFrames: number): Promise<void> {
  const probe = await probeMediaFile(file);
  expect(streamOfType(probe, "video")).toMatchObject({ codec_name: videoCodec, width: 320, height: 180, nb_read_frames: String(videoFrames) });
  expect(streamOfType(probe, "audio")).toMatchObject({ codec_name: "aac", sample_rate: "48000", nb_read_frames: String(audioFrames) });
  expect(isIncreasing(await packetDts(file, "v:0"))).toBe(true);
  expect(isIncreasing(await packetDts(file, "a:0"))).toBe(true);
  expect(await decodeErrors(file)).toBe("");
}

const count = (frames: MediaFrame[], kind: "video" | "audio") => frames.filter((f) => f.track.kind === kind).length;

beforeAll(() => ({ dir, cleanup } = makeTempDir("liverelay-frames-")));
afterAll(() => cleanup());

describe("FLV → frames → MPEG-TS", () => {
  it("keeps every H.264 and AAC frame decodable, with pts/dts and keyframes", async () => {
    const flv = await fixture("h264.flv", "flv");
    const frames = flvFrames(flv);
    const video = frames.filter((f) => f.track.kind === "video");
    expect(video).toHaveLength(60);
    expect(video.filter((f) => f.keyframe)).toHaveLength(2);
    expect(video.some((f) => f.pts > f.dts)).toBe(true); // B-frames reorder
    expect(video[0].track.codec).toBe("h264");
    const out = path.join(dir, "from-flv.ts");
    writeTs(out, frames);
    await expectPlayable(out, "h264", 60, count(frames, "audio"));
  });
});

describe("MPEG-TS → frames → FLV", () => {
  it("turns Annex B into length-prefixed frames with an avcC and ADTS into raw AAC with an AudioSpecificConfig", async () => {
    const ts = await fixture("h264.ts", "mpegts");
    const frames = tsFrames(ts);
    const video = frames.filter((f) => f.track.kind === "video");
    expect(video).toHaveLength(60);
    expect(video[0].keyframe).toBe(true);
    expect(video[0].track.config[0]).toBe(1); // configurationVersion of the AVCDecoderConfigurationRecord
    expect(frames.find((f) => f.track.kind === "audio")!.track.config).toEqual(Buffer.from([0x11, 0x88])); // AAC LC, 48 kHz, mono
    const out = path.join(dir, "from-ts.flv");
    writeFlv(out, frames);
    await expectPlayable(out, "h264", 60, count(frames, "audio"));
  });
});

describe("HEVC both ways", () => {
  it("MPEG-TS → frames → Enhanced RTMP hvc1 tags → frames → MPEG-TS decodes", async () => {
    const ts = await fixture("hevc.ts", "mpegts", "libx265");
    const frames = tsFrames(ts);
    expect(frames.find((f) => f.track.kind === "video")!.track.codec).toBe("hevc");
    const flv = path.join(dir, "hevc.flv");
    writeFlv(flv, frames);
    const back = flvFrames(flv);
    expect(count(back, "video")).toBe(60);
    expect(back.find((f) => f.track.kind === "video")!.track.config).toEqual(frames.find((f) => f.track.kind === "video")!.track.config);
    const out = path.join(dir, "hevc-round-trip.ts");
    writeTs(out, back);
    await expectPlayable(out, "hevc", 60, count(back, "audio"));
  });
});
