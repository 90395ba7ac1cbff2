import { describe, expect, it } from "vitest";
import { execFileSync } from "node:child_process";
import { TsSegmenter, type TsSegment } from "../../../relay-service/src/playback/hls/ts-segmenter";
import { readPacketHeader } from "../../../relay-service/src/media/mpegts";

/** 6 s of 25 fps H.264 with a keyframe every 25 frames (1 s) and every 50 (2 s), + AAC, as MPEG-TS. */
function clip(gop: number): Buffer {
  return execFileSync("ffmpeg", [
    "-hide_banner", "-loglevel", "error", "-f", "lavfi", "-i", "testsrc2=size=160x120:rate=25", "-f", "lavfi", "-i", "sine=sample_rate=44100",
    "-t", "6", "-c:v", "libx264", "-preset", "ultrafast", "-g", String(gop), "-keyint_min", String(gop), "-sc_threshold", "0", "-c:a", "aac", "-f", "mpegts", "pipe:1",
  ], { maxBuffer: 64 << 20 });
}

function segmentsOf(ts: Buffer, targetSeconds: number): TsSegment[] {
  const segments: TsSegment[] = [];
  const segmenter = new TsSegmenter({ targetSeconds, maxBytes: 8 << 20 }, (s) => segments.push(s));
  for (let at = 0; at < ts.length; at += 188 * 7) segmenter.push(ts.subarray(at, Math.min(ts.length, at + 188 * 7)));
  return segments;
}

describe("TsSegmenter", () => {
  it("cuts at keyframes once a segment reaches the target: 1 s GOPs give 1 s segments, 2 s GOPs 2 s", () => {
    for (const [gop, expected] of [[25, 1], [50, 2]] as const) {
      const segments = segmentsOf(clip(gop), 1);
      expect(segments.length).toBeGreaterThanOrEqual(6 / expected - 2);
      for (const s of segments) expect(s.durationSeconds).toBeCloseTo(expected, 1);
      expect(segments.map((s) => s.sequence)).toEqual(segments.map((_, i) => i));
    }
  });

  it("starts every segment with the PAT and PMT, then a video packet flagged random access", () => {
    for (const s of segmentsOf(clip(25), 1)) {
      expect(readPacketHeader(s.data, 0).pid).toBe(0);
      expect(s.data.length % 188).toBe(0);
      let at = 188 * 2;
      while (readPacketHeader(s.data, at).pid !== 0x100) at += 188; // ffmpeg's first elementary PID is video
      expect(readPacketHeader(s.data, at)).toMatchObject({ unitStart: true, randomAccess: true });
    }
  });
});
