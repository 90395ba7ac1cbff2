import { describe, expect, it } from "vitest";
import { ProgressParser, type FfmpegProgress } from "../../../relay-service/src/supervisor/ffmpeg-progress";

describe("ProgressParser", () => {
  it("parses -progress blocks split anywhere", () => {
    const blocks: FfmpegProgress[] = [];
    const p = new ProgressParser((b) => blocks.push(b));
    const text = "frame=30\nfps=29.97\ntotal_size=123456\nout_time_us=1000000\nspeed=1.01x\nprogress=continue\nframe=60\ntotal_size=234567\nprogress=end\n";
    for (const ch of text) p.push(ch);
    expect(blocks).toEqual([
      { totalSize: 123456, fps: 29.97, outTimeUs: 1000000, speed: 1.01, dropFrames: 0, end: false },
      { totalSize: 234567, fps: 0, outTimeUs: 0, speed: 0, dropFrames: 0, end: true },
    ]);
  });
});
