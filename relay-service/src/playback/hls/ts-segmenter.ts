import { PAT_PID, TS_PACKET_BYTES, parsePat, parsePmt, readPacketHeader, type TsPacketHeader } from "../../media/mpegts";

export interface TsSegment {
  /** Media sequence number: increases by one per segment of the stream. */
  sequence: number;
  durationSeconds: number;
  data: Buffer;
  /** The segment follows a gap (the packager restarted): the playlist says EXT-X-DISCONTINUITY. */
  discontinuity: boolean;
}

export interface SegmenterOptions {
  /** A segment is cut at the first keyframe after it reaches this many seconds (≤ 2 s segments for GOPs ≤ 2 s). */
  targetSeconds: number;
  /** A segment is cut here even without a keyframe (a very long GOP, or no video PTS). */
  maxBytes: number;
}

const PTS_HZ = 90_000;

/**
 * Cuts an MPEG-TS packet stream (whole 188-byte packets starting at a keyframe, as the hub
 * gives a reader) into HLS segments: each starts with the PAT and PMT and, with video, at a
 * keyframe (a video PES whose packet carries random_access_indicator). Durations come from
 * the PTS of the video PES (the audio PES in an audio-only stream).
 */
export class TsSegmenter {
  private pat: Buffer | null = null;
  private pmt: Buffer | null = null;
  private pmtPid = -1;
  private clockPid = -1;
  private hasVideo = false;
  private current: Buffer[] = [];
  private currentBytes = 0;
  private startPts: number | null = null;
  private lastPts: number | null = null;
  private nextSequence: number;
  private discontinuity: boolean;

  constructor(
    private readonly opts: SegmenterOptions,
    private readonly onSegment: (segment: TsSegment) => void,
    firstSequence = 0,
    discontinuity = false,
  ) {
    this.nextSequence = firstSequence;
    this.discontinuity = discontinuity;
  }

  push(packets: Buffer): void {
    for (let at = 0; at + TS_PACKET_BYTES <= packets.length; at += TS_PACKET_BYTES) this.add(packets.subarray(at, at + TS_PACKET_BYTES));
  }

  private add(packet: Buffer): void {
    const header = readPacketHeader(packet, 0);
    if (header.pid === PAT_PID) return this.onPat(packet, header);
    if (header.pid === this.pmtPid) return this.onPmt(packet, header);
    if (header.pid === this.clockPid && header.unitStart) this.onClockPes(packet, header);
    if (this.startPts === null && this.current.length === 0) return; // before the first cut point: not decodable
    this.current.push(packet);
    this.currentBytes += TS_PACKET_BYTES;
    if (this.currentBytes >= this.opts.maxBytes) this.cut(this.lastPts);
  }

  private onPat(packet: Buffer, header: TsPacketHeader): void {
    const pmtPid = parsePat(packet, header);
    if (pmtPid === null) return;
    this.pat = Buffer.from(packet);
    this.pmtPid = pmtPid;
  }

  private onPmt(packet: Buffer, header: TsPacketHeader): void {
    const streams = parsePmt(packet, header);
    if (!streams) return;
    this.pmt = Buffer.from(packet);
    const video = streams.find((s) => s.kind === "video");
    const audio = streams.find((s) => s.kind === "audio");
    this.hasVideo = video !== undefined;
    this.clockPid = (video ?? audio)?.pid ?? -1;
  }

  /** A PES of the stream that clocks the segments starts: maybe the start of the next segment. */
  private onClockPes(packet: Buffer, header: TsPacketHeader): void {
    const pts = readPts(packet, header.payloadOffset);
    if (pts === null) return;
    const cutPoint = !this.hasVideo || header.randomAccess;
    if (cutPoint && (this.startPts === null || secondsBetween(this.startPts, pts) >= this.opts.targetSeconds)) {
      if (this.startPts !== null) this.cut(pts);
      this.startPts = pts;
    }
    this.lastPts = pts;
  }

  /** Closes the segment so far (ending at `endPts`) and starts the next with the tables. */
  private cut(endPts: number | null): void {
    if (this.current.length > 0 && this.pat && this.pmt) {
      const duration = this.startPts !== null && endPts !== null ? secondsBetween(this.startPts, endPts) : this.opts.targetSeconds;
      this.onSegment({ sequence: this.nextSequence++, durationSeconds: duration, data: Buffer.concat([this.pat, this.pmt, ...this.current]), discontinuity: this.discontinuity });
      this.discontinuity = false;
    }
    this.current = [];
    this.currentBytes = 0;
    if (endPts !== null) this.startPts = endPts;
  }
}

/** Seconds from PTS a to PTS b (33-bit wrap-around allowed). */
function secondsBetween(a: number, b: number): number {
  const diff = (b - a + 2 ** 33) % 2 ** 33;
  return diff / PTS_HZ;
}

/** The PTS of a PES starting in this packet, or null when it has none (or the header does not fit). */
export function readPts(packet: Buffer, at: number): number | null {
  if (at + 14 > packet.length || packet[at] !== 0 || packet[at + 1] !== 0 || packet[at + 2] !== 1) return null;
  if ((packet[at + 7] & 0x80) === 0) return null;
  const p = at + 9;
  return (((packet[p] >> 1) & 0x07) * 2 ** 30) + (((packet[p + 1] << 7) | (packet[p + 2] >> 1)) << 15) + ((packet[p + 3] << 7) | (packet[p + 4] >> 1));
}
