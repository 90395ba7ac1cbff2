import { writeFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import {
  flvFileHeader, flvTag, isAudioSequenceHeader, isVideoKeyframe, isVideoSequenceHeader, parseOnMetaData,
} from "../../../relay-service/src/media/flv";
import { ecmaArray, encodeAmf0 } from "../../../relay-service/src/media/amf0";
import { scriptTagBody } from "../../../relay-service/src/rtmp/publication";
import { decodeErrors, makeTempDir, probeMediaFile, streamOfType } from "../../helpers/media";
import { decodeClientBytes, ffmpegPublishFixture } from "../rtmp/support";

const h = (s: string) => Buffer.from(s.replace(/\s/g, ""), "hex");
const fourCc = (s: string) => Buffer.from(s, "latin1");
const tag = (...parts: (Buffer | number[])[]) => Buffer.concat(parts.map((p) => (Buffer.isBuffer(p) ? p : Buffer.from(p))));

describe("FLV framing", () => {
  it("writes the file header with PreviousTagSize0", () => {
    expect(flvFileHeader({ audio: true, video: true })).toEqual(h("464c5601 05 00000009 00000000"));
    expect(flvFileHeader({ audio: true, video: false })[4]).toBe(0x04);
    expect(flvFileHeader({ audio: false, video: true })[4]).toBe(0x01);
  });

  it("writes a tag with the extended timestamp byte and previous tag size", () => {
    const t = flvTag(9, 0x12345678, h("1701"));
    expect(t).toEqual(h("09 000002 345678 12 000000 1701 0000000d"));
  });

  it("makes a file ffprobe decodes from the captured ffmpeg session", async () => {
    const { dir, cleanup } = makeTempDir();
    try {
      const file = path.join(dir, "fixture.flv");
      const tags = decodeClientBytes([ffmpegPublishFixture()])
        .filter((m) => m.type === 8 || m.type === 9 || m.type === 18)
        .map((m) => flvTag(m.type as 8 | 9 | 18, m.timestamp, m.type === 18 ? scriptTagBody(m)! : m.payload));
      writeFileSync(file, Buffer.concat([flvFileHeader({ audio: true, video: true }), ...tags]));
      const probe = await probeMediaFile(file);
      expect(streamOfType(probe, "video")).toMatchObject({ codec_name: "h264", width: 160, height: 90, nb_read_frames: "10" });
      expect(streamOfType(probe, "audio")).toMatchObject({ codec_name: "aac" });
      expect(Number(probe.format.duration)).toBeCloseTo(1, 0);
      expect(await decodeErrors(file)).toBe("");
    } finally {
      cleanup();
    }
  });
});

describe("legacy video tag headers", () => {
  it.each([
    ["AVC sequence header", h("1700000000"), { key: false, seq: true }],
    ["AVC key frame", h("1701000000"), { key: true, seq: false }],
    ["AVC inter frame", h("2701000000"), { key: false, seq: false }],
    ["AVC end of sequence", h("1702000000"), { key: false, seq: false }],
    ["HEVC (id 12) sequence header", h("1c00000000"), { key: false, seq: true }],
    ["Sorenson H.263 key frame (no packet type byte)", h("1200"), { key: true, seq: false }],
    ["empty", Buffer.alloc(0), { key: false, seq: false }],
  ])("%s", (_name, payload, want) => {
    expect({ key: isVideoKeyframe(payload), seq: isVideoSequenceHeader(payload) }).toEqual(want);
  });
});

describe("Enhanced RTMP video tag headers", () => {
  // b0 = IsExHeader(0x80) | frameType << 4 | packetType
  it.each([
    ["HEVC SequenceStart", tag([0x90], fourCc("hvc1"), [1, 2]), { key: false, seq: true }],
    ["HEVC key CodedFrames", tag([0x91], fourCc("hvc1"), [0, 0, 0, 9]), { key: true, seq: false }],
    ["HEVC key CodedFramesX", tag([0x93], fourCc("hvc1"), [9]), { key: true, seq: false }],
    ["HEVC inter CodedFrames", tag([0xa1], fourCc("hvc1"), [0, 0, 0, 9]), { key: false, seq: false }],
    ["AV1 MPEG2TSSequenceStart", tag([0x95], fourCc("av01"), [1]), { key: false, seq: true }],
    ["AV1 SequenceEnd", tag([0x92], fourCc("av01")), { key: false, seq: false }],
    ["metadata packet", tag([0x94], fourCc("hvc1"), [2]), { key: false, seq: false }],
    ["command frame", tag([0xd0], fourCc("hvc1"), [0]), { key: false, seq: false }],
    ["Multitrack SequenceStart", tag([0x96, 0x00], fourCc("hvc1"), [0, 1]), { key: false, seq: true }],
    ["Multitrack key CodedFrames", tag([0x96, 0x01], fourCc("hvc1"), [0, 9]), { key: true, seq: false }],
    ["ModEx then SequenceStart", tag([0x97, 0x02, 7, 7, 7, 0x00], fourCc("hvc1")), { key: false, seq: true }],
    ["ModEx then key CodedFrames", tag([0x97, 0x00, 7, 0x11], fourCc("av01")), { key: true, seq: false }],
    ["truncated ModEx", tag([0x97, 0x05, 7]), { key: false, seq: false }],
  ])("%s", (_name, payload, want) => {
    expect({ key: isVideoKeyframe(payload), seq: isVideoSequenceHeader(payload) }).toEqual(want);
  });
});

describe("audio tag headers", () => {
  it.each([
    ["AAC sequence header", h("af001210"), true],
    ["AAC raw frame", h("af01de02"), false],
    ["MP3 (no packet type byte)", h("2f00"), false],
    ["Enhanced Opus SequenceStart", tag([0x90], fourCc("Opus"), [1]), true],
    ["Enhanced Opus CodedFrames", tag([0x91], fourCc("Opus"), [1]), false],
    ["Enhanced Multitrack SequenceStart", tag([0x95, 0x00], fourCc("mp4a"), [0]), true],
    ["Enhanced Multitrack CodedFrames", tag([0x95, 0x01], fourCc("mp4a"), [0]), false],
    ["empty", Buffer.alloc(0), false],
  ])("%s", (_name, payload, want) => {
    expect(isAudioSequenceHeader(payload)).toBe(want);
  });
});

describe("parseOnMetaData", () => {
  const props = { width: 1280, height: 720, videocodecid: 7, audiocodecid: 10, videodatarate: 2500, encoder: "obs" };

  it("reads an ECMA-array onMetaData into a plain object", () => {
    const meta = parseOnMetaData(encodeAmf0("onMetaData", ecmaArray({ ...props })));
    expect(meta).toEqual(props);
    expect(Object.getPrototypeOf(meta)).toBe(Object.prototype);
  });

  it("accepts an object instead of an ECMA array, and a leftover @setDataFrame", () => {
    expect(parseOnMetaData(encodeAmf0("@setDataFrame", "onMetaData", { width: 1 }))).toEqual({ width: 1 });
  });

  it("keeps Enhanced RTMP FourCC codec ids as sent", () => {
    const hvc1 = fourCc("hvc1").readUInt32BE(0);
    expect(parseOnMetaData(encodeAmf0("onMetaData", { videocodecid: hvc1 }))?.videocodecid).toBe(hvc1);
  });

  it("returns null for other script data and garbage", () => {
    expect(parseOnMetaData(encodeAmf0("onCuePoint", { name: "x" }))).toBeNull();
    expect(parseOnMetaData(encodeAmf0("onMetaData"))).toBeNull();
    expect(parseOnMetaData(h("02ffff"))).toBeNull();
  });
});

