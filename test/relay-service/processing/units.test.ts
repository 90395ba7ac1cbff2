import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { flvFileHeader, flvTag } from "../../../relay-service/src/media/flv";
import { FlvReader, type FlvReaderTag } from "../../../relay-service/src/media/flv-reader";
import { fileReply } from "../../../relay-service/src/api/file-reply";
import { ApiProblem } from "../../../relay-service/src/api/errors";
import { transcodeArgs } from "../../../relay-service/src/processing/transcoder";
import { Snapshotter } from "../../../relay-service/src/processing/snapshotter";
import type { LiveStream } from "../../../relay-service/src/hub/live-stream";
import type { SnapshotConfig } from "@liverelay/api";

describe("FlvReader", () => {
  const tags: FlvReaderTag[] = [
    { type: 18, timestamp: 0, payload: Buffer.from("meta") },
    { type: 9, timestamp: 0, payload: Buffer.alloc(70_000, 7) },
    { type: 8, timestamp: 23, payload: Buffer.from([0xaf, 1, 2, 3]) },
    { type: 9, timestamp: 0x01_23_45_67, payload: Buffer.from([0x27, 1]) }, // needs the extended timestamp byte
  ];
  // Compared as text: deep equality of large Buffers is slow in expect.
  const summary = (t: FlvReaderTag) => `${t.type}@${t.timestamp}:${t.payload.toString("base64")}`;
  const stream = Buffer.concat([flvFileHeader({ audio: true, video: true }), ...tags.map((t) => flvTag(t.type, t.timestamp, t.payload))]);

  it.each([1, 7, 11, 15, 4096, stream.length])("reads every tag whatever the chunking (%i-byte chunks)", (size) => {
    const got: FlvReaderTag[] = [];
    const reader = new FlvReader((t) => got.push(t));
    for (let at = 0; at < stream.length; at += size) reader.push(stream.subarray(at, at + size));
    expect(got.map(summary)).toEqual(tags.map(summary));
  });

  it("skips unknown tag types and refuses what is not FLV", () => {
    const got: number[] = [];
    const reader = new FlvReader((t) => got.push(t.type));
    reader.push(Buffer.concat([flvFileHeader({ audio: true, video: false }), flvTag(15 as 8, 0, Buffer.from("x")), flvTag(8, 1, Buffer.from([0xaf, 1]))]));
    expect(got).toEqual([8]);
    expect(() => new FlvReader(() => {}).push(Buffer.from("GIF89a-not-flv"))).toThrow("not an FLV stream");
  });
});

describe("fileReply ranges", () => {
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "liverelay-range-")), "f.bin");
  fs.writeFileSync(file, Buffer.alloc(1000));
  const reply = (range?: string) => fileReply(file, "application/octet-stream", range);
  const status = (range: string) => {
    try {
      return reply(range).status;
    } catch (err) {
      return (err as ApiProblem).status;
    }
  };

  it("whole file, single ranges, suffixes, clamped ends", () => {
    expect(reply()).toMatchObject({ status: 200, file: { start: 0, end: 999 }, headers: { "content-length": "1000" } });
    expect(reply("bytes=10-19")).toMatchObject({ status: 206, file: { start: 10, end: 19 }, headers: { "content-range": "bytes 10-19/1000", "content-length": "10" } });
    expect(reply("bytes=990-")).toMatchObject({ file: { start: 990, end: 999 } });
    expect(reply("bytes=-5000")).toMatchObject({ status: 206, file: { start: 0, end: 999 } });
    expect(reply("bytes=900-5000")).toMatchObject({ file: { start: 900, end: 999 } });
  });

  it("several ranges or another unit: the whole file; unsatisfiable or malformed: 416", () => {
    expect(status("bytes=0-1,5-6")).toBe(200);
    expect(status("items=0-1")).toBe(200);
    for (const bad of ["bytes=1000-", "bytes=5-2", "bytes=-0", "bytes=abc", "bytes=-"]) expect(status(bad)).toBe(416);
  });
});

describe("transcodeArgs", () => {
  const video = { codec: "h264" as const, height: 360, bitrateKbps: 800, gopSeconds: 2 };

  it("a fixed GOP of fps × gop frames when the frame rate is set, scene cuts off", () => {
    const args = transcodeArgs({ video: { ...video, fps: 25 }, audio: null }, "flv").join(" ");
    expect(args).toContain("-vf scale=-2:360");
    expect(args).toContain("-preset veryfast -tune zerolatency");
    expect(args).toContain("-r 25 -g 50 -keyint_min 50 -sc_threshold 0");
    expect(args).toContain("-c:a copy");
    expect(args).toMatch(/-f flv pipe:1$/);
  });

  it("without a frame rate, a keyframe forced every gop seconds; AAC when asked", () => {
    const args = transcodeArgs({ video: { ...video, fps: null }, audio: { codec: "aac", bitrateKbps: 96 } }, "mpegts").join(" ");
    expect(args).toContain("-force_key_frames expr:gte(t,n_forced*2)");
    expect(args).toContain("-c:a aac -b:a 96k");
    expect(args).toMatch(/-f mpegts pipe:1$/);
  });
});

describe("stall timeouts", () => {
  const snapshotter = (intervalSeconds: number) => new Snapshotter({} as LiveStream, { intervalSeconds, keep: 1 } as SnapshotConfig, os.tmpdir());

  it("a snapshotter is stalled after three missed images, never sooner than the base timeout", () => {
    expect(snapshotter(1).stallTimeoutMs(10_000)).toBe(10_000);
    expect(snapshotter(5).stallTimeoutMs(10_000)).toBe(15_000);
    expect(snapshotter(60).stallTimeoutMs(10_000)).toBe(180_000);
  });
});
