// The container-neutral unit the hub keeps and every output muxes from: a track (what the
// codec needs before its first frame) and its access units. Timestamps are 90 kHz ticks, the
// MPEG-TS clock; FLV's milliseconds convert exactly (× 90).

export const TIMEBASE = 90_000;

export type VideoCodec = "h264" | "hevc";
export type AudioCodec = "aac";
export type FrameCodec = VideoCodec | AudioCodec;

export interface Track {
  kind: "video" | "audio";
  codec: FrameCodec;
  /**
   * The codec configuration record: AVCDecoderConfigurationRecord (h264),
   * HEVCDecoderConfigurationRecord (hevc) or AudioSpecificConfig (aac).
   */
  config: Buffer;
  /** Ticks per second of the frames' pts/dts. */
  timebase: number;
}

/**
 * One access unit. Video data is length-prefixed NAL units (4-byte lengths, as in the
 * configuration records and FLV), without parameter sets or access unit delimiters;
 * audio data is one raw AAC frame (no ADTS header).
 */
export interface MediaFrame {
  track: Track;
  pts: number;
  dts: number;
  /** A video frame a decoder can start at (IDR / IRAP); every audio frame. */
  keyframe: boolean;
  data: Buffer;
}

/** Milliseconds (FLV, RTMP) to frame ticks and back. */
export const msToTicks = (ms: number) => ms * (TIMEBASE / 1000);
export const ticksToMs = (ticks: number) => Math.round(ticks / (TIMEBASE / 1000));

/** Same codec and configuration: a reader need not be told again. */
export function sameTrack(a: Track | undefined, b: Track | undefined): boolean {
  return a === b || (a !== undefined && b !== undefined && a.codec === b.codec && a.config.equals(b.config));
}
