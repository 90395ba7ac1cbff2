/** One `-progress` block of ffmpeg: key=value lines ending with `progress=continue|end`. */
export interface FfmpegProgress {
  totalSize: number;
  fps: number;
  outTimeUs: number;
  speed: number;
  dropFrames: number;
  end: boolean;
}

/** Incremental parser for ffmpeg's `-progress pipe:N` output. */
export class ProgressParser {
  private buffer = "";
  private block: Record<string, string> = {};

  constructor(private readonly onBlock: (p: FfmpegProgress) => void) {}

  push(chunk: Buffer | string): void {
    this.buffer += chunk.toString();
    let newline: number;
    while ((newline = this.buffer.indexOf("\n")) >= 0) {
      const line = this.buffer.slice(0, newline).trim();
      this.buffer = this.buffer.slice(newline + 1);
      const eq = line.indexOf("=");
      if (eq <= 0) continue;
      const key = line.slice(0, eq);
      this.block[key] = line.slice(eq + 1);
      if (key === "progress") this.flush();
    }
    if (this.buffer.length > 64 * 1024) this.buffer = "";
  }

  private flush() {
    const b = this.block;
    this.block = {};
    const num = (v: string | undefined) => {
      const n = Number.parseFloat(v ?? "");
      return Number.isFinite(n) ? n : 0;
    };
    this.onBlock({
      totalSize: num(b.total_size),
      fps: num(b.fps),
      outTimeUs: num(b.out_time_us ?? b.out_time_ms),
      speed: num(b.speed?.replace("x", "")),
      dropFrames: num(b.drop_frames),
      end: b.progress === "end",
    });
  }
}
