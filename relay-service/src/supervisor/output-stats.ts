/** What an ffmpeg worker has written, from its `-progress` blocks. */
export interface OutputSnapshot {
  bytesOut: number;
  bitrateKbps: number;
  fps: number;
  /** ms since epoch of the last time the output grew; 0 before the first byte. */
  lastProgressAt: number;
}

/**
 * Turns ffmpeg's cumulative `total_size` and `fps` into current figures: the bitrate between
 * two blocks and when the output last grew (what stall watches read). Relays and transcoders.
 */
export class OutputStats {
  private current: OutputSnapshot = { bytesOut: 0, bitrateKbps: 0, fps: 0, lastProgressAt: 0 };
  private lastSample = { at: 0, bytes: 0 };

  update(totalSize: number, fps: number, now = Date.now()): void {
    if (totalSize > this.current.bytesOut) this.current.lastProgressAt = now;
    if (this.lastSample.at > 0 && now > this.lastSample.at) {
      this.current.bitrateKbps = Math.round((((totalSize - this.lastSample.bytes) * 8) / (now - this.lastSample.at)) * 10) / 10;
    }
    this.lastSample = { at: now, bytes: totalSize };
    this.current.bytesOut = totalSize;
    this.current.fps = fps;
  }

  snapshot(): OutputSnapshot {
    return { ...this.current };
  }
}
