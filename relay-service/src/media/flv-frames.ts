// FLV tags ↔ media frames. Demux: the sequence headers become tracks, coded frames become
// frames (legacy AVC/HEVC tags and Enhanced RTMP's avc1/hvc1; AAC). Mux: frames back to tag
// bodies — H.264 as legacy AVC tags, HEVC as Enhanced RTMP hvc1 (what current servers and
// players read), AAC as sound format 10. Other codecs are not turned into frames: a stream
// carrying them is still passed through untouched by the hub in its own container.
import { ecmaArray, encodeAmf0, type Amf0Object } from "./amf0";
import { readAudioSpecificConfig, sampleRateOf } from "./aac";
import type { FlvTagType } from "./flv";
import { H264 } from "./h264";
import { HEVC } from "./hevc";
import { splitLengthPrefixed, toLengthPrefixed } from "./nal";
import { msToTicks, ticksToMs, TIMEBASE, type FrameCodec, type MediaFrame, type Track } from "./frame";

const LEGACY_VIDEO_CODECS: Record<number, FrameCodec> = { 7: "h264", 12: "hevc" };
const FOURCC_CODECS: Record<string, FrameCodec> = { avc1: "h264", hvc1: "hevc" };
const FOURCCS: Partial<Record<FrameCodec, string>> = { h264: "avc1", hevc: "hvc1" };
const SOUND_FORMAT_AAC = 10;
const FRAME_TYPE_KEY = 1;
const FRAME_TYPE_INTER = 2;
/** Enhanced RTMP names HEVC by its FourCC in onMetaData, as a number. */
const HVC1_CODEC_ID = 0x68766331;

type VideoTagContent =
  | { kind: "config"; codec: FrameCodec; config: Buffer }
  | { kind: "frame"; codec: FrameCodec; keyframe: boolean; cts: number; data: Buffer };

/** What a video tag body holds, for the codecs frames support; null for anything else. */
export function readVideoTag(payload: Buffer): VideoTagContent | null {
  if (payload.length < 5) return null;
  const b0 = payload[0];
  if (b0 & 0x80) return readExVideoTag(payload);
  const codec = LEGACY_VIDEO_CODECS[b0 & 0x0f];
  if (!codec) return null;
  const packetType = payload[1];
  if (packetType === 0) return { kind: "config", codec, config: payload.subarray(5) };
  if (packetType !== 1) return null; // 2: end of sequence
  return { kind: "frame", codec, keyframe: b0 >> 4 === FRAME_TYPE_KEY, cts: payload.readIntBE(2, 3), data: payload.subarray(5) };
}

/** Enhanced RTMP: [IsExHeader | FrameType | PacketType] [FourCC] ... */
function readExVideoTag(payload: Buffer): VideoTagContent | null {
  const codec = FOURCC_CODECS[payload.toString("latin1", 1, 5)];
  if (!codec) return null;
  const frameType = (payload[0] >> 4) & 0x07;
  const packetType = payload[0] & 0x0f;
  if (packetType === 0) return { kind: "config", codec, config: payload.subarray(5) };
  const keyframe = frameType === FRAME_TYPE_KEY;
  if (packetType === 1 && payload.length >= 8) return { kind: "frame", codec, keyframe, cts: payload.readIntBE(5, 3), data: payload.subarray(8) };
  if (packetType === 3) return { kind: "frame", codec, keyframe, cts: 0, data: payload.subarray(5) };
  return null; // ModEx, multitrack, metadata, end of sequence: not carried as frames
}

/**
 * Turns one publisher's FLV tags into frames. A sequence header makes a new track object;
 * frames point at the track they belong to, so a reader sees a configuration change as a
 * frame whose track differs from the previous one.
 */
export class FlvFrameDemuxer {
  video?: Track;
  audio?: Track;
  private videoLengthSize = 4;

  /** The frame a tag carries; null for headers, script data and codecs frames do not cover. */
  push(type: FlvTagType, timestamp: number, payload: Buffer): MediaFrame | null {
    if (type === 9) return this.onVideo(timestamp, payload);
    if (type === 8) return this.onAudio(timestamp, payload);
    return null;
  }

  private onVideo(timestamp: number, payload: Buffer): MediaFrame | null {
    const content = readVideoTag(payload);
    if (!content) return null;
    if (content.kind === "config") {
      this.video = { kind: "video", codec: content.codec, config: Buffer.from(content.config), timebase: TIMEBASE };
      const nalCodec = content.codec === "h264" ? H264 : HEVC;
      this.videoLengthSize = nalCodec.readConfigRecord(content.config)?.lengthSize ?? 4;
      return null;
    }
    if (!this.video || this.video.codec !== content.codec) return null;
    const data = this.videoLengthSize === 4 ? content.data : toLengthPrefixed(splitLengthPrefixed(content.data, this.videoLengthSize));
    const dts = msToTicks(timestamp);
    return { track: this.video, dts, pts: dts + msToTicks(content.cts), keyframe: content.keyframe, data };
  }

  private onAudio(timestamp: number, payload: Buffer): MediaFrame | null {
    if (payload.length < 2 || payload[0] >> 4 !== SOUND_FORMAT_AAC) return null;
    if (payload[1] === 0) {
      this.audio = { kind: "audio", codec: "aac", config: Buffer.from(payload.subarray(2)), timebase: TIMEBASE };
      return null;
    }
    if (!this.audio) return null;
    const dts = msToTicks(timestamp);
    return { track: this.audio, dts, pts: dts, keyframe: true, data: payload.subarray(2) };
  }
}

// ---- frames → tags -----------------------------------------------------------

export interface FlvTagBody {
  type: FlvTagType;
  /** Milliseconds. */
  timestamp: number;
  payload: Buffer;
}

/** The sequence header tag of a track. */
export function flvSequenceHeader(track: Track, timestamp = 0): FlvTagBody {
  if (track.codec === "aac") return { type: 8, timestamp, payload: Buffer.concat([Buffer.from([0xaf, 0]), track.config]) };
  return { type: 9, timestamp, payload: Buffer.concat([videoTagHead(track.codec, FRAME_TYPE_KEY, 0, 0), track.config]) };
}

/** The tag of one frame. */
export function flvFrameTag(frame: MediaFrame): FlvTagBody {
  const timestamp = ticksToMs(frame.dts);
  if (frame.track.codec === "aac") return { type: 8, timestamp, payload: Buffer.concat([Buffer.from([0xaf, 1]), frame.data]) };
  const head = videoTagHead(frame.track.codec, frame.keyframe ? FRAME_TYPE_KEY : FRAME_TYPE_INTER, 1, ticksToMs(frame.pts) - timestamp);
  return { type: 9, timestamp, payload: Buffer.concat([head, frame.data]) };
}

/** packetType 0 = configuration, 1 = coded frames with a composition time offset. */
function videoTagHead(codec: FrameCodec, frameType: number, packetType: 0 | 1, cts: number): Buffer {
  const head = Buffer.alloc(codec === "h264" ? 5 : 8);
  if (codec === "h264") {
    head[0] = (frameType << 4) | 7;
    head[1] = packetType;
    head.writeIntBE(packetType === 1 ? cts : 0, 2, 3);
    return head;
  }
  head[0] = 0x80 | (frameType << 4) | packetType;
  head.write(FOURCCS[codec]!, 1, "latin1");
  if (packetType === 0) return head.subarray(0, 5);
  head.writeIntBE(cts, 5, 3);
  return head;
}

/** An onMetaData script tag body describing the tracks (codec ids, audio rate and channels). */
export function flvOnMetaData(tracks: { video?: Track; audio?: Track }): Buffer {
  const meta: Amf0Object = {};
  if (tracks.video) meta.videocodecid = tracks.video.codec === "h264" ? 7 : HVC1_CODEC_ID;
  if (tracks.audio) {
    meta.audiocodecid = SOUND_FORMAT_AAC;
    const asc = readAudioSpecificConfig(tracks.audio.config);
    if (asc) {
      meta.audiosamplerate = sampleRateOf(asc);
      meta.stereo = asc.channels >= 2;
    }
  }
  return encodeAmf0("onMetaData", ecmaArray(meta));
}
