// The small codec helpers of media/ on their own: NAL framing, configuration records, ADTS,
// PES timestamps, the MPEG-TS tables (checked against the bytes ffmpeg writes).
import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { adtsHeader, audioSpecificConfig, readAudioSpecificConfig, splitAdts } from "../../../relay-service/src/media/aac";
import { avcDecoderConfig, readAvcDecoderConfig } from "../../../relay-service/src/media/h264";
import { splitAnnexB, splitLengthPrefixed, toAnnexB, toLengthPrefixed } from "../../../relay-service/src/media/nal";
import { readPesHeader } from "../../../relay-service/src/media/ts-demux";
import { TsMuxer, crc32Mpeg } from "../../../relay-service/src/media/ts-mux";
import { TIMEBASE, type Track } from "../../../relay-service/src/media/frame";
import { makeTempDir, runProcess } from "../../helpers/media";

const h = (s: string) => Buffer.from(s.replace(/\s/g, ""), "hex");

describe("NAL framing", () => {
  it("splits Annex B with 3- and 4-byte start codes and converts to length prefixes and back", () => {
    const es = h("00000001 0910 000001 6742c01e 00000001 68ce3c80 000001 6588840021");
    const nals = splitAnnexB(es);
    expect(nals).toEqual([h("0910"), h("6742c01e"), h("68ce3c80"), h("6588840021")]);
    const avcc = toLengthPrefixed(nals);
    expect(avcc.subarray(0, 6)).toEqual(h("00000002 0910"));
    expect(splitLengthPrefixed(avcc)).toEqual(nals);
    expect(splitAnnexB(toAnnexB(nals))).toEqual(nals);
  });

  it("drops a truncated length-prefixed tail instead of reading past the buffer", () => {
    expect(splitLengthPrefixed(h("00000002 0910 000000ff 01"))).toEqual([h("0910")]);
  });
});

describe("AVCDecoderConfigurationRecord", () => {
  it("is built from SPS and PPS and read back", () => {
    const sps = h("6742c01e d9");
    const pps = h("68ce3c80");
    const record = avcDecoderConfig([sps], [pps]);
    expect(record).toEqual(h("01 42c01e ff e1 0005 6742c01ed9 01 0004 68ce3c80"));
    expect(readAvcDecoderConfig(record)).toEqual({ lengthSize: 4, parameterSets: [sps, pps] });
    expect(readAvcDecoderConfig(record.subarray(0, 9))).toBeNull();
  });
});

describe("AAC", () => {
  it("AudioSpecificConfig ↔ fields, and ADTS frames split back to the same config and payloads", () => {
    const config = { objectType: 2, sampleRateIndex: 3, channels: 2 };
    expect(audioSpecificConfig(config)).toEqual(h("1190"));
    expect(readAudioSpecificConfig(h("1190"))).toEqual(config);
    expect(readAudioSpecificConfig(h("f8"))).toBeNull();
    const a = Buffer.from("first frame");
    const b = Buffer.from("second");
    const adts = Buffer.concat([adtsHeader(config, a.length), a, adtsHeader(config, b.length), b]);
    expect(splitAdts(adts)).toEqual([{ config, data: a }, { config, data: b }]);
    expect(splitAdts(adts.subarray(0, adts.length - 1))).toEqual([{ config, data: a }]); // cut frame
  });
});

describe("MPEG-TS muxing", () => {
  const video: Track = { kind: "video", codec: "h264", config: avcDecoderConfig([h("6742c01ed9")], [h("68ce3c80")]), timebase: TIMEBASE };
  const audio: Track = { kind: "audio", codec: "aac", config: h("1190"), timebase: TIMEBASE };

  it("writes the same PAT as ffmpeg, byte for byte, with a valid CRC", async () => {
    const { dir, cleanup } = makeTempDir();
    try {
      const file = path.join(dir, "ffmpeg.ts");
      const r = await runProcess("ffmpeg", ["-v", "error", "-f", "lavfi", "-i", "testsrc2=size=64x64:rate=5", "-t", "0.2", "-c:v", "libx264", "-f", "mpegts", file]);
      expect(r.code).toBe(0);
      const ours = new TsMuxer().mux({ track: video, pts: 0, dts: 0, keyframe: true, data: toLengthPrefixed([h("658884")]) }, { video, audio });
      const theirs = readFileSync(file);
      const theirPat = Array.from({ length: theirs.length / 188 }, (_, i) => theirs.subarray(i * 188, (i + 1) * 188)).find((p) => p[1] === 0x40 && p[2] === 0);
      expect(ours.subarray(0, 188)).toEqual(theirPat);
      expect(crc32Mpeg(ours.subarray(5, 5 + 3 + 9 + 4))).toBe(0); // a section including its CRC leaves 0
    } finally {
      cleanup();
    }
  });

  it("cuts a frame into packets with PTS/DTS, PCR, random access and continuity counters", () => {
    const muxer = new TsMuxer();
    const big = toLengthPrefixed([Buffer.concat([h("65"), Buffer.alloc(500, 7)])]);
    const first = muxer.mux({ track: video, pts: 93_000, dts: 90_000, keyframe: true, data: big }, { video, audio });
    const second = muxer.mux({ track: video, pts: 96_000, dts: 93_000, keyframe: false, data: big }, { video, audio });
    const packets = (b: Buffer) => Array.from({ length: b.length / 188 }, (_, i) => b.subarray(i * 188, (i + 1) * 188));
    const videoPackets = [...packets(first), ...packets(second)].filter((p) => (((p[1] & 0x1f) << 8) | p[2]) === 0x100);
    expect(videoPackets.map((p) => p[3] & 0x0f)).toEqual(videoPackets.map((_, i) => i & 0x0f));
    const start = videoPackets[0];
    expect(start[5] & 0x50).toBe(0x50); // random access + PCR flags
    const pes = start.subarray(4 + 1 + start[4]);
    expect(readPesHeader(Buffer.concat([pes, Buffer.alloc(32)]))).toMatchObject({ pts: 93_000, dts: 90_000 });
    expect(packets(first).every((p) => p[0] === 0x47 && p.length === 188)).toBe(true);
  });
});
