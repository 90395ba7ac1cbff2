import { describe, expect, it } from "vitest";
import { OutputStats } from "../../../relay-service/src/supervisor/output-stats";

describe("OutputStats", () => {
  it("bitrate between two blocks; lastProgressAt moves only when the output grew", () => {
    const s = new OutputStats();
    expect(s.snapshot()).toEqual({ bytesOut: 0, bitrateKbps: 0, fps: 0, lastProgressAt: 0 });
    s.update(0, 0, 1_000); // ffmpeg started, nothing written yet
    expect(s.snapshot().lastProgressAt).toBe(0);
    s.update(125_000, 30, 2_000);
    expect(s.snapshot()).toEqual({ bytesOut: 125_000, bitrateKbps: 1000, fps: 30, lastProgressAt: 2_000 });
    s.update(125_000, 0, 3_000); // stuck: same size
    expect(s.snapshot()).toMatchObject({ bitrateKbps: 0, lastProgressAt: 2_000 });
  });
});
