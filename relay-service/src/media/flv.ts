// FLV container helpers for the hub: file header, tag framing, and the few
// facts about a tag the hub needs (key frame? sequence header?) for both the
// legacy FLV tag headers and Enhanced RTMP's ExHeader. Codec payloads beyond
// the first header bytes are never parsed.
import { Amf0Object, Amf0Reader, Amf0Value } from "./amf0";

export type FlvTagType = 8 | 9 | 18;

/** 9-byte FLV header followed by PreviousTagSize0 (always 0). */
export function flvFileHeader(has: { audio: boolean; video: boolean }): Buffer {
  const header = Buffer.alloc(13);
  header.write("FLV", 0, "latin1");
  header[3] = 1; // version
  header[4] = (has.audio ? 0x04 : 0) | (has.video ? 0x01 : 0);
  header.writeUInt32BE(9, 5); // header length
  return header; // bytes 9..12: PreviousTagSize0 = 0
}

/** 11-byte tag header + payload + PreviousTagSize. */
export function flvTag(type: FlvTagType, timestamp: number, payload: Buffer): Buffer {
  if (payload.length > 0xffffff) throw new RangeError("FLV tag payload larger than 16 MiB");
  const header = Buffer.alloc(11);
  header[0] = type;
  header.writeUIntBE(payload.length, 1, 3);
  const ts = timestamp >>> 0;
  header.writeUIntBE(ts & 0xffffff, 4, 3); // lower 24 bits ...
  header[7] = ts >>> 24; // ... and the "extended" upper 8 bits
  // bytes 8..10: StreamID, always 0
  const trailer = Buffer.alloc(4);
  trailer.writeUInt32BE(11 + payload.length);
  return Buffer.concat([header, payload, trailer]);
}

// ---- video ---------------------------------------------------------------

const VIDEO_EX_HEADER = 0x80;
const FRAME_TYPE_KEY = 1;
const FRAME_TYPE_COMMAND = 5;
/** Legacy codec ids whose byte 1 is a packet type (0 = sequence header): AVC, and the HEVC/AV1 ids used by Chinese CDNs. */
const LEGACY_CODECS_WITH_PACKET_TYPE = new Set([7, 12, 13]);

const VideoPacketType = {
  SequenceStart: 0,
  CodedFrames: 1,
  CodedFramesX: 3,
  Mpeg2TsSequenceStart: 5,
  Multitrack: 6,
  ModEx: 7,
} as const;

/**
 * True for a key frame that carries picture data. FLV also flags sequence
 * headers, end-of-sequence markers and Enhanced RTMP metadata packets as
 * "key frames"; those are excluded, so a GOP cache can start at this tag.
 */
export function isVideoKeyframe(payload: Buffer): boolean {
  if (payload.length < 1) return false;
  const b0 = payload[0];
  if (b0 & VIDEO_EX_HEADER) {
    if (((b0 >> 4) & 0x07) !== FRAME_TYPE_KEY) return false;
    const packetType = videoExPacketType(payload);
    return packetType === VideoPacketType.CodedFrames || packetType === VideoPacketType.CodedFramesX;
  }
  if (b0 >> 4 !== FRAME_TYPE_KEY) return false;
  // AVC-style codecs: byte 1 is 0 = sequence header, 1 = NALUs, 2 = end of sequence.
  return !LEGACY_CODECS_WITH_PACKET_TYPE.has(b0 & 0x0f) || payload[1] === 1;
}

export function isVideoSequenceHeader(payload: Buffer): boolean {
  if (payload.length < 1) return false;
  const b0 = payload[0];
  if (b0 & VIDEO_EX_HEADER) {
    if (((b0 >> 4) & 0x07) === FRAME_TYPE_COMMAND) return false; // a command frame carries no configuration
    const packetType = videoExPacketType(payload);
    return packetType === VideoPacketType.SequenceStart || packetType === VideoPacketType.Mpeg2TsSequenceStart;
  }
  return LEGACY_CODECS_WITH_PACKET_TYPE.has(b0 & 0x0f) && payload.length >= 2 && payload[1] === 0;
}

function videoExPacketType(payload: Buffer): number {
  return resolvePacketType(payload, payload[0] & 0x0f, VideoPacketType.Multitrack, VideoPacketType.ModEx);
}

// ---- audio ---------------------------------------------------------------

const SOUND_FORMAT_AAC = 10;
const SOUND_FORMAT_EX_HEADER = 9;
const AudioPacketType = { SequenceStart: 0, Multitrack: 5, ModEx: 7 } as const;

export function isAudioSequenceHeader(payload: Buffer): boolean {
  if (payload.length < 1) return false;
  const soundFormat = payload[0] >> 4;
  if (soundFormat === SOUND_FORMAT_EX_HEADER) {
    const packetType = resolvePacketType(payload, payload[0] & 0x0f, AudioPacketType.Multitrack, AudioPacketType.ModEx);
    return packetType === AudioPacketType.SequenceStart;
  }
  return soundFormat === SOUND_FORMAT_AAC && payload.length >= 2 && payload[1] === 0;
}

/**
 * Enhanced RTMP wraps the real packet type: ModEx carries modifier data and
 * then the next packet type; Multitrack puts it in the low nibble of the next
 * byte. Returns -1 when the payload is too short to tell.
 */
function resolvePacketType(payload: Buffer, first: number, multitrack: number, modEx: number): number {
  let packetType = first;
  let pos = 1;
  while (packetType === modEx) {
    if (pos >= payload.length) return -1;
    let size = payload[pos] + 1;
    pos += 1;
    if (size === 256) {
      if (pos + 2 > payload.length) return -1;
      size = payload.readUInt16BE(pos) + 1;
      pos += 2;
    }
    pos += size;
    if (pos >= payload.length) return -1;
    packetType = payload[pos] & 0x0f;
    pos += 1;
  }
  if (packetType !== multitrack) return packetType;
  return pos < payload.length ? payload[pos] & 0x0f : -1;
}

// ---- script data -----------------------------------------------------------

export interface OnMetaData {
  width?: number;
  height?: number;
  framerate?: number;
  /** A number (7 = AVC) or, from Enhanced-RTMP encoders, a FourCC number or string. */
  videocodecid?: number | string;
  audiocodecid?: number | string;
  videodatarate?: number;
  audiodatarate?: number;
  audiosamplerate?: number;
  duration?: number;
  encoder?: string;
  [key: string]: Amf0Value;
}

/**
 * The properties of an onMetaData script tag body, as a plain object; null if
 * the payload is not onMetaData. Accepts bodies still wrapped in @setDataFrame.
 */
export function parseOnMetaData(payload: Buffer): OnMetaData | null {
  const reader = new Amf0Reader(payload);
  try {
    let name = reader.readValue();
    if (name === "@setDataFrame") name = reader.readValue();
    if (name !== "onMetaData" || reader.done) return null;
    const value = reader.readValue();
    return isPlainObject(value) ? { ...value } : null;
  } catch {
    return null;
  }
}

function isPlainObject(value: Amf0Value): value is Amf0Object {
  return typeof value === "object" && value !== null && !Array.isArray(value) && !(value instanceof Date);
}
