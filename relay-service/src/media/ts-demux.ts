// MPEG-TS → media frames: PES packets are gathered per elementary stream, their PTS/DTS read
// (and unwrapped past the 33-bit clock), H.264/HEVC Annex B access units turned into
// length-prefixed frames with the parameter sets moved into a configuration record, and
// ADTS AAC split into raw frames with an AudioSpecificConfig. The first H.264/HEVC and the
// first AAC stream of the program are demuxed; other streams are left to the TS passthrough.
import { AAC_FRAME_SAMPLES, audioSpecificConfig, sampleRateOf, splitAdts } from "./aac";
import { H264 } from "./h264";
import { HEVC } from "./hevc";
import { PAT_PID, TS_PACKET_BYTES, parsePat, parsePmt, readPacketHeader, type ElementaryStream } from "./mpegts";
import { splitAnnexB, toLengthPrefixed, type NalCodec } from "./nal";
import { TIMEBASE, type MediaFrame, type Track } from "./frame";

const CLOCK_WRAP = 2 ** 33;
/** A PES larger than this (a broken stream never starting a new one) is dropped. */
const MAX_PES_BYTES = 8 * 1024 * 1024;

interface PesTimestamps {
  pts: number;
  dts: number;
}

/** PTS/DTS and the payload offset of a complete PES packet; null if it is not one or has no PTS. */
export function readPesHeader(pes: Buffer): (PesTimestamps & { payloadOffset: number }) | null {
  if (pes.length < 9 || pes[0] !== 0 || pes[1] !== 0 || pes[2] !== 1) return null;
  const flags = pes[7] >> 6;
  const payloadOffset = 9 + pes[8];
  if (!(flags & 0x02) || payloadOffset > pes.length || pes.length < 14) return null;
  const pts = readClock(pes, 9);
  const dts = flags === 3 && pes.length >= 19 ? readClock(pes, 14) : pts;
  return { pts, dts, payloadOffset };
}

/** A 33-bit PES timestamp (marker bits between its 3/15/15-bit parts). */
function readClock(b: Buffer, at: number): number {
  const high = (b[at] >> 1) & 0x07;
  const mid = ((b[at + 1] << 8) | b[at + 2]) >> 1;
  const low = ((b[at + 3] << 8) | b[at + 4]) >> 1;
  return high * 2 ** 30 + mid * 2 ** 15 + low;
}

/** Keeps timestamps growing across the 33-bit wrap (every 26.5 hours). */
class ClockUnwrapper {
  private last?: number;

  unwrap(raw: number): number {
    if (this.last === undefined) return (this.last = raw);
    let t = raw + Math.floor(this.last / CLOCK_WRAP) * CLOCK_WRAP;
    if (t < this.last - CLOCK_WRAP / 2) t += CLOCK_WRAP;
    else if (t > this.last + CLOCK_WRAP / 2) t -= CLOCK_WRAP;
    return (this.last = t);
  }
}

/**
 * One PES being gathered, copied into a buffer reused from PES to PES: no object per TS packet
 * (a subarray per packet was most of the demuxer's cost). What `take` returns is valid only
 * until the next `add`, so frames copy what they keep.
 */
class PesBuffer {
  private buf = Buffer.allocUnsafe(16 * 1024);
  bytes = 0;
  /** PES_packet_length + 6 when the header states it, else 0 (unbounded video PES). */
  expected = 0;

  /** Appends `packet[from..to)`; false (and nothing kept) past the bound. */
  add(packet: Buffer, from: number, to: number): boolean {
    const length = to - from;
    if (this.bytes + length > MAX_PES_BYTES) return false;
    if (this.bytes + length > this.buf.length) this.grow(this.bytes + length);
    packet.copy(this.buf, this.bytes, from, to);
    if (this.bytes === 0 && length >= 6) this.expected = this.buf.readUInt16BE(4) > 0 ? this.buf.readUInt16BE(4) + 6 : 0;
    this.bytes += length;
    return true;
  }

  take(): Buffer {
    const pes = this.buf.subarray(0, this.bytes);
    this.bytes = 0;
    this.expected = 0;
    return pes;
  }

  clear(): void {
    this.bytes = 0;
    this.expected = 0;
  }

  private grow(atLeast: number): void {
    const bigger = Buffer.allocUnsafe(Math.min(MAX_PES_BYTES, Math.max(atLeast, this.buf.length * 2)));
    this.buf.copy(bigger, 0, 0, this.bytes);
    this.buf = bigger;
  }
}

interface Elementary {
  stream: ElementaryStream;
  pes: PesBuffer;
}

/**
 * Demuxes aligned TS packets into frames (`onFrame`). A video frame is emitted when the next
 * PES on its PID starts (video PES state no length); an audio PES as soon as it is complete.
 */
export class TsFrameDemuxer {
  video?: Track;
  audio?: Track;
  private pmtPid = -1;
  private videoEs?: Elementary & { codec: NalCodec };
  private audioEs?: Elementary;
  private readonly clock = new ClockUnwrapper();
  private parameterSets = new Map<number, Buffer>();

  constructor(private readonly onFrame: (frame: MediaFrame) => void) {}

  /** Whole, aligned 188-byte packets (what the hub's packetizer yields). */
  push(packets: Buffer): void {
    for (let at = 0; at + TS_PACKET_BYTES <= packets.length; at += TS_PACKET_BYTES) this.onPacket(packets, at);
  }

  private onPacket(buf: Buffer, at: number): void {
    const pid = ((buf[at + 1] & 0x1f) << 8) | buf[at + 2];
    if (pid === PAT_PID || pid === this.pmtPid) {
      const packet = buf.subarray(at, at + TS_PACKET_BYTES);
      const header = readPacketHeader(packet, 0);
      if (pid === PAT_PID) this.pmtPid = parsePat(packet, header) ?? this.pmtPid;
      else this.onPmt(parsePmt(packet, header));
      return;
    }
    const es = pid === this.videoEs?.stream.pid ? this.videoEs : pid === this.audioEs?.stream.pid ? this.audioEs : undefined;
    if (!es) return;
    const header = readPacketHeader(buf, at);
    this.onPayload(es, header.unitStart, buf, at + header.payloadOffset, at + TS_PACKET_BYTES);
  }

  private onPmt(streams: ElementaryStream[] | null): void {
    if (!streams) return;
    const video = streams.find((s) => s.codec === "h264" || s.codec === "hevc");
    const audio = streams.find((s) => s.codec === "aac");
    if (video?.pid !== this.videoEs?.stream.pid || video?.codec !== this.videoEs?.stream.codec) {
      this.videoEs = video && { stream: video, pes: new PesBuffer(), codec: video.codec === "h264" ? H264 : HEVC };
      this.parameterSets = new Map();
    }
    if (audio?.pid !== this.audioEs?.stream.pid) this.audioEs = audio && { stream: audio, pes: new PesBuffer() };
  }

  private onPayload(es: Elementary, unitStart: boolean, packet: Buffer, from: number, to: number): void {
    if (from >= to) return;
    if (unitStart && es.pes.bytes > 0) this.flush(es);
    if (!unitStart && es.pes.bytes === 0) return; // joined mid-PES: wait for the next start
    if (!es.pes.add(packet, from, to)) return es.pes.clear(); // a PES past the bound is dropped
    if (es.pes.expected > 0 && es.pes.bytes >= es.pes.expected) this.flush(es);
  }

  private flush(es: Elementary): void {
    const expected = es.pes.expected;
    const pes = es.pes.take();
    const header = readPesHeader(pes);
    if (!header) return;
    const dts = this.clock.unwrap(header.dts);
    const pts = dts + ((header.pts - header.dts + CLOCK_WRAP) % CLOCK_WRAP);
    const payload = pes.subarray(header.payloadOffset, expected > 0 ? expected : undefined);
    if (es === this.videoEs) this.onVideoAccessUnit(this.videoEs.codec, { pts, dts }, payload);
    else this.onAudioPes({ pts, dts }, payload);
  }

  private onVideoAccessUnit(codec: NalCodec, at: PesTimestamps, es: Buffer): void {
    const picture: Buffer[] = [];
    let keyframe = false;
    let newParameters = false;
    for (const nal of splitAnnexB(es)) {
      const type = codec.nalType(nal);
      if (codec.isDelimiter(type)) continue;
      if (codec.isParameterSet(type)) {
        if (!this.parameterSets.get(type)?.equals(nal)) newParameters = true;
        this.parameterSets.set(type, Buffer.from(nal)); // a copy: the PES buffer is reused
        continue;
      }
      keyframe ||= codec.isKeyframe(type);
      picture.push(nal);
    }
    if (newParameters) this.updateVideoTrack(codec);
    if (!this.video || picture.length === 0) return;
    this.onFrame({ track: this.video, pts: at.pts, dts: at.dts, keyframe, data: toLengthPrefixed(picture) });
  }

  private updateVideoTrack(codec: NalCodec): void {
    const config = codec.configRecord([...this.parameterSets.values()]);
    if (config && !(this.video?.codec === codec.name && this.video.config.equals(config))) this.video = { kind: "video", codec: codec.name, config, timebase: TIMEBASE };
  }

  private onAudioPes(at: PesTimestamps, es: Buffer): void {
    splitAdts(es).forEach((adts, i) => {
      const config = audioSpecificConfig(adts.config);
      if (!this.audio?.config.equals(config)) this.audio = { kind: "audio", codec: "aac", config, timebase: TIMEBASE };
      const pts = at.pts + Math.round((i * AAC_FRAME_SAMPLES * TIMEBASE) / sampleRateOf(adts.config));
      this.onFrame({ track: this.audio, pts, dts: pts, keyframe: true, data: Buffer.from(adts.data) }); // the PES buffer is reused
    });
  }
}
