// NAL unit framing shared by H.264 and HEVC: Annex B start codes (MPEG-TS) and 4-byte length
// prefixes (FLV, MP4, the frames of the hub).

const START_CODE_3 = Buffer.from([0, 0, 1]);

/** The NAL units of an Annex B byte stream (00 00 01 / 00 00 00 01 start codes), without start codes. */
export function splitAnnexB(es: Buffer): Buffer[] {
  const nals: Buffer[] = [];
  let start = es.indexOf(START_CODE_3); // native search: a JS loop over every byte cost more than the rest of the demux
  while (start >= 0) {
    const next = es.indexOf(START_CODE_3, start + 3);
    const nal = next < 0 ? es.subarray(start + 3) : trimTrailingZeros(es.subarray(start + 3, next));
    if (nal.length > 0) nals.push(nal);
    start = next;
  }
  return nals;
}

/** A 4-byte start code's first zero (and trailing_zero_8bits) belong to no NAL unit. */
function trimTrailingZeros(nal: Buffer): Buffer {
  let end = nal.length;
  while (end > 0 && nal[end - 1] === 0) end--;
  return nal.subarray(0, end);
}

/** NAL units with 4-byte big-endian length prefixes. */
export function toLengthPrefixed(nals: Buffer[]): Buffer {
  const out = Buffer.allocUnsafe(nals.reduce((n, nal) => n + 4 + nal.length, 0));
  let at = 0;
  for (const nal of nals) {
    out.writeUInt32BE(nal.length, at);
    nal.copy(out, at + 4);
    at += 4 + nal.length;
  }
  return out;
}

/** The NAL units of length-prefixed data (`lengthSize` 1–4 bytes); a truncated tail is dropped. */
export function splitLengthPrefixed(data: Buffer, lengthSize = 4): Buffer[] {
  const nals: Buffer[] = [];
  let at = 0;
  while (at + lengthSize <= data.length) {
    const length = data.readUIntBE(at, lengthSize);
    at += lengthSize;
    if (at + length > data.length) break;
    nals.push(data.subarray(at, at + length));
    at += length;
  }
  return nals;
}

const START_CODE = Buffer.from([0, 0, 0, 1]);

/** NAL units as an Annex B byte stream. */
export function toAnnexB(nals: Buffer[]): Buffer {
  const parts: Buffer[] = [];
  for (const nal of nals) parts.push(START_CODE, nal);
  return Buffer.concat(parts);
}

/** The NAL payload without emulation-prevention bytes (00 00 03 → 00 00). */
export function unescapeRbsp(nal: Buffer): Buffer {
  const out: number[] = [];
  let zeros = 0;
  for (const byte of nal) {
    if (zeros >= 2 && byte === 3) {
      zeros = 0;
      continue;
    }
    out.push(byte);
    zeros = byte === 0 ? zeros + 1 : 0;
  }
  return Buffer.from(out);
}

/**
 * What a muxer or demuxer needs to know about a NAL-based video codec: which NAL units are
 * parameter sets (they go into the configuration record), which are delimiters, which start
 * a keyframe, and how the configuration record is built and read.
 */
export interface NalCodec {
  readonly name: "h264" | "hevc";
  nalType(nal: Buffer): number;
  isParameterSet(type: number): boolean;
  isDelimiter(type: number): boolean;
  isKeyframe(type: number): boolean;
  /** The access unit delimiter MPEG-TS streams start each access unit with. */
  readonly delimiter: Buffer;
  /** A configuration record from the latest parameter sets; null until every required one was seen. */
  configRecord(parameterSets: Buffer[]): Buffer | null;
  /** The parameter sets in a configuration record, and its NAL length size; null if malformed. */
  readConfigRecord(record: Buffer): { lengthSize: number; parameterSets: Buffer[] } | null;
}

/** Reads `count` entries of (u16 length, bytes) from `at`; null when they overrun. */
export function readLengthArray(buf: Buffer, at: number, count: number): { items: Buffer[]; end: number } | null {
  const items: Buffer[] = [];
  for (let i = 0; i < count; i++) {
    if (at + 2 > buf.length) return null;
    const length = buf.readUInt16BE(at);
    if (at + 2 + length > buf.length) return null;
    items.push(buf.subarray(at + 2, at + 2 + length));
    at += 2 + length;
  }
  return { items, end: at };
}

/** (u16 length, bytes) entries. */
export function writeLengthArray(items: Buffer[]): Buffer {
  const parts: Buffer[] = [];
  for (const item of items) {
    const length = Buffer.alloc(2);
    length.writeUInt16BE(item.length);
    parts.push(length, item);
  }
  return Buffer.concat(parts);
}
