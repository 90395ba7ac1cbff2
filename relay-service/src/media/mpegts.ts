// MPEG-TS helpers for the hub: packet alignment, the header fields a GOP cache needs, the
// PAT/PMT (which PIDs carry what), and a look into a video PES for a keyframe NAL when the
// muxer did not set random_access_indicator. Elementary streams are never decoded.

export const TS_PACKET_BYTES = 188;
const SYNC_BYTE = 0x47;
export const PAT_PID = 0;

export interface TsPacketHeader {
  pid: number;
  /** payload_unit_start_indicator: a PES packet or a PSI section starts in this packet. */
  unitStart: boolean;
  /** Adaptation-field random_access_indicator: the muxer marks a keyframe here. */
  randomAccess: boolean;
  /** Offset of the payload inside the packet; 188 when there is none. */
  payloadOffset: number;
}

/** Header of the packet starting at `at` (the caller guarantees 188 bytes from a sync byte). */
export function readPacketHeader(buf: Buffer, at: number): TsPacketHeader {
  const pid = ((buf[at + 1] & 0x1f) << 8) | buf[at + 2];
  const unitStart = (buf[at + 1] & 0x40) !== 0;
  const control = (buf[at + 3] >> 4) & 0x03; // 1 payload, 2 adaptation field, 3 both
  let payloadOffset = control & 0x01 ? 4 : TS_PACKET_BYTES;
  let randomAccess = false;
  if (control & 0x02) {
    const afLength = buf[at + 4];
    randomAccess = afLength > 0 && (buf[at + 5] & 0x40) !== 0;
    if (control & 0x01) payloadOffset = Math.min(5 + afLength, TS_PACKET_BYTES);
  }
  return { pid, unitStart, randomAccess, payloadOffset };
}

/**
 * Cuts a byte stream into whole 188-byte packets. Input chunks need not be aligned: a
 * partial packet is carried over to the next chunk, and bytes that are not at a sync byte
 * (followed by another one 188 bytes later, when visible) are skipped until it resyncs.
 */
export class TsPacketizer {
  private carry: Buffer | null = null;
  /** Bytes skipped to find sync again (garbage, or a packet cut by a lost datagram). */
  skippedBytes = 0;

  /** Whole packets, concatenated; an empty buffer when the chunk completed none. */
  push(chunk: Buffer): Buffer {
    const buf = this.carry ? Buffer.concat([this.carry, chunk]) : chunk;
    this.carry = null;
    if (isAligned(buf)) return buf; // the common case: SRT payloads are 7 whole packets
    return this.resync(buf);
  }

  private resync(buf: Buffer): Buffer {
    const packets: Buffer[] = [];
    let pos = 0;
    while (pos + TS_PACKET_BYTES <= buf.length) {
      const next = pos + TS_PACKET_BYTES;
      if (buf[pos] === SYNC_BYTE && (next >= buf.length || buf[next] === SYNC_BYTE)) {
        packets.push(buf.subarray(pos, next));
        pos = next;
        continue;
      }
      const sync = buf.indexOf(SYNC_BYTE, pos + 1);
      const skipTo = sync < 0 ? buf.length : sync;
      this.skippedBytes += skipTo - pos;
      pos = skipTo;
    }
    this.keepTail(buf.subarray(pos));
    return packets.length === 1 ? packets[0] : Buffer.concat(packets);
  }

  private keepTail(tail: Buffer): void {
    const sync = tail.indexOf(SYNC_BYTE);
    if (sync < 0) {
      this.skippedBytes += tail.length;
      return;
    }
    this.skippedBytes += sync;
    this.carry = Buffer.from(tail.subarray(sync)); // a copy: do not pin the whole chunk
  }
}

function isAligned(buf: Buffer): boolean {
  if (buf.length % TS_PACKET_BYTES !== 0) return false;
  for (let at = 0; at < buf.length; at += TS_PACKET_BYTES) if (buf[at] !== SYNC_BYTE) return false;
  return true;
}

// ---- PSI: PAT and PMT -------------------------------------------------------

/**
 * The start of a PSI section in this packet (after the pointer field), and its end;
 * null when the section is not complete inside this one packet. PAT and PMT sections
 * are a few dozen bytes, so a single-packet section is what real muxers send.
 */
function sectionIn(packet: Buffer, header: TsPacketHeader, tableId: number): { start: number; end: number } | null {
  if (!header.unitStart || header.payloadOffset >= TS_PACKET_BYTES) return null;
  const start = header.payloadOffset + 1 + packet[header.payloadOffset];
  if (start + 8 > TS_PACKET_BYTES || packet[start] !== tableId) return null;
  const sectionLength = ((packet[start + 1] & 0x0f) << 8) | packet[start + 2];
  const withCrc = start + 3 + sectionLength;
  return withCrc <= TS_PACKET_BYTES && sectionLength >= 9 ? { start, end: withCrc - 4 } : null;
}

/** PMT PID of the first program in a PAT packet; null if this packet has no complete PAT. */
export function parsePat(packet: Buffer, header: TsPacketHeader): number | null {
  const section = sectionIn(packet, header, 0x00);
  if (!section) return null;
  for (let at = section.start + 8; at + 4 <= section.end; at += 4) {
    const program = packet.readUInt16BE(at);
    if (program !== 0) return ((packet[at + 2] & 0x1f) << 8) | packet[at + 3]; // 0 is the network PID
  }
  return null;
}

export interface ElementaryStream {
  pid: number;
  streamType: number;
  kind: "video" | "audio" | "other";
  /** ffprobe-style codec name; null when the stream type does not say. */
  codec: string | null;
}

/** The elementary streams a PMT packet lists; null if this packet has no complete PMT. */
export function parsePmt(packet: Buffer, header: TsPacketHeader): ElementaryStream[] | null {
  const section = sectionIn(packet, header, 0x02);
  if (!section) return null;
  const programInfoLength = ((packet[section.start + 10] & 0x0f) << 8) | packet[section.start + 11];
  const streams: ElementaryStream[] = [];
  let at = section.start + 12 + programInfoLength;
  while (at + 5 <= section.end) {
    const streamType = packet[at];
    const pid = ((packet[at + 1] & 0x1f) << 8) | packet[at + 2];
    const infoLength = ((packet[at + 3] & 0x0f) << 8) | packet[at + 4];
    const descriptors = packet.subarray(at + 5, Math.min(at + 5 + infoLength, section.end));
    streams.push({ pid, streamType, ...classify(streamType, descriptors) });
    at += 5 + infoLength;
  }
  return streams;
}

// ISO/IEC 13818-1 stream types, plus the ATSC ones encoders use; names as ffprobe prints them.
const VIDEO_TYPES: Record<number, string> = { 0x01: "mpeg1video", 0x02: "mpeg2video", 0x10: "mpeg4", 0x1b: "h264", 0x24: "hevc", 0x33: "vvc", 0x42: "cavs", 0xea: "vc1" };
const AUDIO_TYPES: Record<number, string> = { 0x03: "mp3", 0x04: "mp3", 0x0f: "aac", 0x11: "aac_latm", 0x81: "ac3", 0x87: "eac3" };
// Stream type 0x06 (private data) says what it is in a descriptor instead.
const REGISTRATIONS: Record<string, Pick<ElementaryStream, "kind" | "codec">> = {
  Opus: { kind: "audio", codec: "opus" },
  "AC-3": { kind: "audio", codec: "ac3" },
  EAC3: { kind: "audio", codec: "eac3" },
  HEVC: { kind: "video", codec: "hevc" },
};
const DESCRIPTOR_TAGS: Record<number, Pick<ElementaryStream, "kind" | "codec">> = {
  0x6a: { kind: "audio", codec: "ac3" },
  0x7a: { kind: "audio", codec: "eac3" },
  0x7b: { kind: "audio", codec: "dts" },
};

function classify(streamType: number, descriptors: Buffer): Pick<ElementaryStream, "kind" | "codec"> {
  if (VIDEO_TYPES[streamType]) return { kind: "video", codec: VIDEO_TYPES[streamType] };
  if (AUDIO_TYPES[streamType]) return { kind: "audio", codec: AUDIO_TYPES[streamType] };
  if (streamType !== 0x06) return { kind: "other", codec: null };
  for (let at = 0; at + 2 <= descriptors.length; at += 2 + descriptors[at + 1]) {
    const tag = descriptors[at];
    if (tag === 0x05 && at + 6 <= descriptors.length) {
      const known = REGISTRATIONS[descriptors.toString("latin1", at + 2, at + 6)];
      if (known) return known;
    }
    if (DESCRIPTOR_TAGS[tag]) return DESCRIPTOR_TAGS[tag];
  }
  return { kind: "other", codec: null };
}

// ---- inside a video PES -----------------------------------------------------

/** How far into a PES the scanners below look before giving up. */
const MAX_SCAN_BYTES = 8 * 1024;

/**
 * The start of a PES packet's elementary stream, gathered from TS packet payloads one by one
 * (what is looked for often spans more than one packet), with the PES header skipped.
 */
export class PesPrefix {
  private gathered = Buffer.alloc(0);
  private esStart = -1;

  /** The elementary-stream bytes so far; null while the PES header is incomplete or not a PES. */
  push(payload: Buffer): Buffer | null {
    this.gathered = Buffer.concat([this.gathered, payload]);
    if (this.esStart < 0 && this.gathered.length >= 9 && isPesStart(this.gathered)) this.esStart = 9 + this.gathered[8];
    return this.esStart >= 0 && this.gathered.length >= this.esStart ? this.gathered.subarray(this.esStart) : null;
  }

  /** Past the bound, or not a PES at all: stop looking. */
  get exhausted(): boolean {
    return this.gathered.length > MAX_SCAN_BYTES || (this.gathered.length >= 3 && !isPesStart(this.gathered));
  }
}

const isPesStart = (b: Buffer) => b[0] === 0 && b[1] === 0 && b[2] === 1;

/** Offsets of the NAL unit headers (the byte after each 00 00 01 start code) in `es`. */
export function nalHeaderOffsets(es: Buffer): number[] {
  const offsets: number[] = [];
  for (let i = es.indexOf(0); i >= 0 && i + 3 < es.length; i = es.indexOf(0, i + 1)) {
    if (es[i + 1] === 0 && es[i + 2] === 1) offsets.push(i + 3);
  }
  return offsets;
}

/** Codecs whose keyframes {@link KeyframeScanner} can recognise from NAL unit headers. */
export const SCANNABLE_CODECS = new Set(["h264", "hevc"]);

/**
 * Decides whether a video PES starts with a keyframe by reading its NAL unit headers up to
 * the first picture (VCL) NAL: an H.264 IDR, or an HEVC IRAP picture (BLA, IDR, CRA).
 */
export class KeyframeScanner {
  private readonly prefix = new PesPrefix();

  constructor(private readonly codec: string) {}

  /** true / false once decided; null while more of the PES is needed. */
  push(payload: Buffer): boolean | null {
    const es = this.prefix.push(payload);
    const verdict = es ? this.firstPictureIsKey(es) : null;
    return verdict === null && this.prefix.exhausted ? false : verdict;
  }

  private firstPictureIsKey(es: Buffer): boolean | null {
    for (const at of nalHeaderOffsets(es)) {
      if (this.codec === "h264") {
        const type = es[at] & 0x1f;
        if (type >= 1 && type <= 5) return type === 5;
      } else {
        const type = (es[at] >> 1) & 0x3f;
        if (type <= 31) return type >= 16 && type <= 23;
      }
    }
    return null;
  }
}
