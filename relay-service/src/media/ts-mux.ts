// Media frames → MPEG-TS: PAT and PMT (one program; H.264 / HEVC video on PID 0x100, AAC on
// 0x101), one PES per frame (video with its parameter sets and an access unit delimiter in
// Annex B, audio with an ADTS header), PCR on the video PID (audio without video),
// random_access_indicator on keyframes, continuity counters per PID.
import { adtsHeader, readAudioSpecificConfig } from "./aac";
import { H264 } from "./h264";
import { HEVC } from "./hevc";
import { PAT_PID, TS_PACKET_BYTES } from "./mpegts";
import { splitLengthPrefixed, toAnnexB, type NalCodec } from "./nal";
import type { MediaFrame, Track } from "./frame";

const PMT_PID = 0x1000;
const VIDEO_PID = 0x100;
const AUDIO_PID = 0x101;
const STREAM_TYPES: Record<Track["codec"], number> = { h264: 0x1b, hevc: 0x24, aac: 0x0f };
const CLOCK_WRAP = 2 ** 33;
/** The PCR runs this far (100 ms) behind the DTS: a decoder has each frame before it is due. */
const PCR_LEAD = 9_000;
/** Without video, tables are repeated every this many audio frames (~0.5 s). */
const AUDIO_TABLE_INTERVAL = 24;

/** Muxes the frames of one stream; each call returns whole 188-byte packets. */
export class TsMuxer {
  private readonly counters = new Map<number, number>();
  private video?: Track;
  private audio?: Track;
  private pmtVersion = 0;
  private tables: [Buffer, Buffer] | null = null;
  private audioSinceTables = 0;

  /** The packets of one frame, preceded by PAT and PMT at keyframes and when the tracks change. */
  mux(frame: MediaFrame, tracks: { video?: Track; audio?: Track }): Buffer {
    const tablesChanged = this.setTracks(tracks);
    const isVideo = frame.track.kind === "video";
    const out: Buffer[] = [];
    const needTables = tablesChanged || (isVideo && frame.keyframe) || (!this.video && this.audioSinceTables++ >= AUDIO_TABLE_INTERVAL);
    if (needTables) {
      out.push(this.writeTables());
      this.audioSinceTables = 0;
    }
    const carriesPcr = isVideo || !this.video;
    const pes = isVideo ? videoPes(frame) : audioPes(frame);
    if (pes) out.push(this.packetize(isVideo ? VIDEO_PID : AUDIO_PID, pes, { pcr: carriesPcr ? frame.dts - PCR_LEAD : undefined, randomAccess: frame.keyframe }));
    return out.length === 1 ? out[0] : Buffer.concat(out);
  }

  /** PAT + PMT for the current tracks, with their own continuity counters. */
  private writeTables(): Buffer {
    this.tables ??= [section(0x00, pat()), section(0x02, pmt(this.video, this.audio, this.pmtVersion))];
    return Buffer.concat([this.withCounter(PAT_PID, this.tables[0]), this.withCounter(PMT_PID, this.tables[1])]);
  }

  private setTracks(tracks: { video?: Track; audio?: Track }): boolean {
    const changed = tracks.video?.codec !== this.video?.codec || tracks.audio?.codec !== this.audio?.codec || !!tracks.video !== !!this.video || !!tracks.audio !== !!this.audio;
    this.video = tracks.video;
    this.audio = tracks.audio;
    if (changed) {
      this.pmtVersion = (this.pmtVersion + 1) & 0x1f;
      this.tables = null;
    }
    return changed;
  }

  private withCounter(pid: number, sectionPacket: Buffer): Buffer {
    const packet = Buffer.from(sectionPacket);
    packet[3] = (packet[3] & 0xf0) | this.nextCounter(pid);
    return packet;
  }

  private nextCounter(pid: number): number {
    const cc = ((this.counters.get(pid) ?? -1) + 1) & 0x0f;
    this.counters.set(pid, cc);
    return cc;
  }

  /** Cuts a PES into packets: the first with PCR / random access flag, the last padded by adaptation-field stuffing. */
  private packetize(pid: number, pes: Buffer, opts: { pcr?: number; randomAccess: boolean }): Buffer {
    const packets: Buffer[] = [];
    let at = 0;
    while (at < pes.length) {
      const first = at === 0;
      let adaptation = first ? adaptationField(opts.randomAccess, opts.pcr) : null;
      const remaining = pes.length - at;
      let room = TS_PACKET_BYTES - 4 - (adaptation?.length ?? 0);
      if (remaining < room) {
        adaptation = stuffed(adaptation, room - remaining);
        room = remaining;
      }
      const packet = Buffer.alloc(TS_PACKET_BYTES);
      packet[0] = 0x47;
      packet[1] = (first ? 0x40 : 0) | (pid >> 8);
      packet[2] = pid & 0xff;
      packet[3] = (adaptation ? 0x30 : 0x10) | this.nextCounter(pid);
      let w = 4;
      if (adaptation) w += adaptation.copy(packet, w);
      pes.copy(packet, w, at, at + room);
      packets.push(packet);
      at += room;
    }
    return Buffer.concat(packets);
  }
}

/** An adaptation field (length byte included) with the random access flag and PCR; null when neither is set. */
function adaptationField(randomAccess: boolean, pcr?: number): Buffer | null {
  if (!randomAccess && pcr === undefined) return null;
  const field = Buffer.alloc(pcr === undefined ? 2 : 8);
  field[0] = field.length - 1;
  field[1] = (randomAccess ? 0x40 : 0) | (pcr === undefined ? 0 : 0x10);
  if (pcr !== undefined) {
    const base = ((Math.floor(pcr) % CLOCK_WRAP) + CLOCK_WRAP) % CLOCK_WRAP;
    field.writeUInt32BE(Math.floor(base / 2), 2); // upper 32 of the 33 bits
    field[6] = ((base % 2) << 7) | 0x7e; // last bit, 6 reserved bits, extension (0) upper bit
    field[7] = 0;
  }
  return field;
}

/** Grows (or creates) an adaptation field by `extra` bytes of 0xFF stuffing. */
function stuffed(field: Buffer | null, extra: number): Buffer {
  if (!field) {
    if (extra === 1) return Buffer.from([0]); // a zero-length adaptation field is one byte
    field = Buffer.from([1, 0]);
    extra -= 2;
  }
  const out = Buffer.alloc(field.length + extra, 0xff);
  field.copy(out);
  out[0] = out.length - 1;
  return out;
}

function videoPes(frame: MediaFrame): Buffer | null {
  const codec: NalCodec = frame.track.codec === "h264" ? H264 : HEVC;
  const nals = [codec.delimiter];
  if (frame.keyframe) nals.push(...(codec.readConfigRecord(frame.track.config)?.parameterSets ?? []));
  nals.push(...splitLengthPrefixed(frame.data));
  return Buffer.concat([pesHeader(0xe0, frame, 0), toAnnexB(nals)]);
}

function audioPes(frame: MediaFrame): Buffer | null {
  const config = readAudioSpecificConfig(frame.track.config);
  if (!config) return null;
  const payloadBytes = 7 + frame.data.length;
  return Buffer.concat([pesHeader(0xc0, frame, payloadBytes), adtsHeader(config, frame.data.length), frame.data]);
}

/** PES header with PTS (and DTS when it differs); `payloadBytes` 0 = unbounded (video). */
function pesHeader(streamId: number, frame: MediaFrame, payloadBytes: number): Buffer {
  const withDts = frame.dts !== frame.pts;
  const header = Buffer.alloc(withDts ? 19 : 14);
  header.writeUIntBE(0x000001, 0, 3);
  header[3] = streamId;
  const length = payloadBytes > 0 ? payloadBytes + header.length - 6 : 0;
  header.writeUInt16BE(length > 0xffff ? 0 : length, 4);
  header[6] = 0x80; // marker bits, not scrambled
  header[7] = withDts ? 0xc0 : 0x80;
  header[8] = header.length - 9;
  writeClock(header, 9, withDts ? 0x3 : 0x2, frame.pts);
  if (withDts) writeClock(header, 14, 0x1, frame.dts);
  return header;
}

function writeClock(b: Buffer, at: number, prefix: number, ticks: number): void {
  const t = ((Math.round(ticks) % CLOCK_WRAP) + CLOCK_WRAP) % CLOCK_WRAP;
  const high = Math.floor(t / 2 ** 30);
  const mid = Math.floor(t / 2 ** 15) & 0x7fff;
  const low = t & 0x7fff;
  b[at] = (prefix << 4) | (high << 1) | 1;
  b.writeUInt16BE((mid << 1) | 1, at + 1);
  b.writeUInt16BE((low << 1) | 1, at + 3);
}

// ---- PSI -------------------------------------------------------------------

function pat(): Buffer {
  const body = Buffer.alloc(9);
  body.writeUInt16BE(1, 0); // transport_stream_id
  body[2] = 0xc1; // version 0, current
  body[3] = 0; // section_number
  body[4] = 0; // last_section_number
  body.writeUInt16BE(1, 5); // program_number 1 ...
  body.writeUInt16BE(0xe000 | PMT_PID, 7); // ... is on the PMT PID
  return body;
}

function pmt(video: Track | undefined, audio: Track | undefined, version: number): Buffer {
  const streams = [video && { track: video, pid: VIDEO_PID }, audio && { track: audio, pid: AUDIO_PID }].filter((s) => s !== undefined);
  const body = Buffer.alloc(9 + 5 * streams.length);
  body.writeUInt16BE(1, 0); // program_number
  body[2] = 0xc1 | (version << 1);
  body[3] = 0;
  body[4] = 0;
  body.writeUInt16BE(0xe000 | (video ? VIDEO_PID : AUDIO_PID), 5); // PCR PID
  body.writeUInt16BE(0xf000, 7); // no program descriptors
  streams.forEach((s, i) => {
    const at = 9 + 5 * i;
    body[at] = STREAM_TYPES[s.track.codec];
    body.writeUInt16BE(0xe000 | s.pid, at + 1);
    body.writeUInt16BE(0xf000, at + 3);
  });
  return body;
}

/** One PSI section in one packet: pointer field, table id, length, body, CRC-32; the rest 0xFF. */
function section(tableId: number, body: Buffer): Buffer {
  const pid = tableId === 0x00 ? PAT_PID : PMT_PID;
  const packet = Buffer.alloc(TS_PACKET_BYTES, 0xff);
  packet[0] = 0x47;
  packet[1] = 0x40 | (pid >> 8);
  packet[2] = pid & 0xff;
  packet[3] = 0x10;
  packet[4] = 0; // pointer_field
  const sectionStart = 5;
  packet[sectionStart] = tableId;
  packet.writeUInt16BE(0xb000 | (body.length + 4), sectionStart + 1); // section_syntax_indicator, length incl. CRC
  body.copy(packet, sectionStart + 3);
  const crcAt = sectionStart + 3 + body.length;
  packet.writeUInt32BE(crc32Mpeg(packet.subarray(sectionStart, crcAt)), crcAt);
  return packet;
}

const CRC_TABLE = (() => {
  const table = new Uint32Array(256);
  for (let i = 0; i < 256; i++) {
    let c = i << 24;
    for (let k = 0; k < 8; k++) c = c & 0x80000000 ? (c << 1) ^ 0x04c11db7 : c << 1;
    table[i] = c >>> 0;
  }
  return table;
})();

/** CRC-32/MPEG-2: polynomial 0x04C11DB7, not reflected, initial 0xFFFFFFFF, no final XOR. */
export function crc32Mpeg(bytes: Buffer): number {
  let crc = 0xffffffff;
  for (const byte of bytes) crc = ((crc << 8) ^ CRC_TABLE[((crc >>> 24) ^ byte) & 0xff]) >>> 0;
  return crc >>> 0;
}
