import { MAX_GOP_BYTES, type MediaInfo } from "./flv-gop-cache";
import { SpsFinder, type PictureSize } from "../media/h264-sps";
import { KeyframeScanner, PAT_PID, SCANNABLE_CODECS, TS_PACKET_BYTES, TsPacketizer, parsePat, parsePmt, readPacketHeader, type ElementaryStream, type TsPacketHeader } from "../media/mpegts";

/**
 * What a reader joining an MPEG-TS stream mid-way needs to decode from its first byte: the
 * latest PAT and PMT, then the packets since the start of the last video keyframe.
 *
 * A keyframe starts at a video packet that begins a PES (payload_unit_start) and carries the
 * adaptation field's random_access_indicator, which ffmpeg's and GStreamer's muxers set. Once
 * a stream has shown one, that flag is trusted; a stream that never sets it gets its H.264 /
 * HEVC PES payloads scanned for an IDR / IRAP picture instead. Other video codecs without the
 * flag start readers at the latest video PES (the decoder then waits for a keyframe itself).
 */
export class TsGopCache {
  private readonly packetizer = new TsPacketizer();
  private pat: Buffer | null = null;
  private pmt: Buffer | null = null;
  private pmtPid: number | null = null;
  private streams: ElementaryStream[] = [];
  private video: ElementaryStream | null = null;
  private muxerMarksKeyframes = false;
  private scan: { at: number; scanner: KeyframeScanner } | null = null;
  private size: PictureSize | null = null;
  private sizeFinder: SpsFinder | null = null;
  private gop: Buffer[] = [];
  private gopStart = 0; // stream offset of gop[0][0]
  private position = 0; // stream offset after the last packet added
  private gopOpen = false;

  /** Cuts the chunk into whole packets and updates the cache; returns those packets to broadcast. */
  add(chunk: Buffer): Buffer {
    const packets = this.packetizer.push(chunk);
    if (packets.length === 0) return packets;
    const base = this.position;
    this.gop.push(packets);
    this.position += packets.length;
    for (let at = 0; at < packets.length; at += TS_PACKET_BYTES) this.inspect(packets.subarray(at, at + TS_PACKET_BYTES), base + at);
    this.bound();
    return packets;
  }

  /** The bytes a new reader gets before the live packets. */
  snapshot(): Buffer[] {
    const tables = [this.pat, this.pmt].filter((b): b is Buffer => b !== null);
    return [...tables, ...this.gop];
  }

  /** A reader may join once the PMT is known and, if there is video, a keyframe is cached. */
  get joinable(): boolean {
    return this.pmt !== null && (this.video === null || this.gopOpen);
  }

  get bytes(): number {
    return this.position - this.gopStart;
  }

  /** Bytes dropped while resynchronising on 0x47 (garbage or cut packets). */
  get skippedBytes(): number {
    return this.packetizer.skippedBytes;
  }

  mediaInfo(): MediaInfo {
    const audio = this.streams.find((s) => s.kind === "audio");
    const size = this.size ?? { width: null, height: null };
    return { videoCodec: this.video?.codec ?? null, audioCodec: audio?.codec ?? null, ...size };
  }

  private inspect(packet: Buffer, at: number): void {
    const header = readPacketHeader(packet, 0);
    if (header.pid === PAT_PID) this.onPat(packet, header);
    else if (header.pid === this.pmtPid) this.onPmt(packet, header);
    else if (header.pid === this.video?.pid) this.onVideo(packet, header, at);
  }

  private onPat(packet: Buffer, header: TsPacketHeader): void {
    const pmtPid = parsePat(packet, header);
    if (pmtPid === null) return;
    this.pat = Buffer.from(packet); // a copy: the cached tables must not pin whole chunks
    if (pmtPid !== this.pmtPid) this.pmt = null;
    this.pmtPid = pmtPid;
  }

  private onPmt(packet: Buffer, header: TsPacketHeader): void {
    const streams = parsePmt(packet, header);
    if (!streams) return;
    this.pmt = Buffer.from(packet);
    this.streams = streams;
    const video = streams.find((s) => s.kind === "video") ?? null;
    if (video?.pid !== this.video?.pid || video?.codec !== this.video?.codec) this.resetKeyframes();
    this.video = video;
  }

  private onVideo(packet: Buffer, header: TsPacketHeader, at: number): void {
    if (header.unitStart) this.onVideoPesStart(header, at);
    const payload = packet.subarray(header.payloadOffset);
    if (this.scan) this.feedKeyframeScan(payload);
    if (this.sizeFinder) this.feedSizeFinder(payload);
  }

  private onVideoPesStart(header: TsPacketHeader, at: number): void {
    this.scan = null;
    const codec = this.video!.codec ?? "";
    this.sizeFinder = this.size === null && codec === "h264" ? new SpsFinder() : null;
    if (header.randomAccess) {
      this.muxerMarksKeyframes = true;
      return this.startGopAt(at);
    }
    if (this.muxerMarksKeyframes) return;
    if (!SCANNABLE_CODECS.has(codec)) return this.startGopAt(at);
    this.scan = { at, scanner: new KeyframeScanner(codec) };
  }

  private feedKeyframeScan(payload: Buffer): void {
    const verdict = this.scan!.scanner.push(payload);
    if (verdict === null) return;
    if (verdict) this.startGopAt(this.scan!.at);
    this.scan = null;
  }

  /** Until the picture size is known (H.264 only): the SPS comes with every keyframe. */
  private feedSizeFinder(payload: Buffer): void {
    const size = this.sizeFinder!.push(payload);
    if (size) this.size = size;
    if (size || this.sizeFinder!.gaveUp) this.sizeFinder = null;
  }

  private resetKeyframes(): void {
    this.muxerMarksKeyframes = false;
    this.scan = null;
    this.gopOpen = false;
    this.size = null;
    this.sizeFinder = null;
  }

  private startGopAt(at: number): void {
    this.dropBefore(at);
    this.gopOpen = true;
  }

  /** Keeps only the bytes from stream offset `at` on. */
  private dropBefore(at: number): void {
    let drop = 0;
    let start = this.gopStart;
    while (drop < this.gop.length && start + this.gop[drop].length <= at) start += this.gop[drop++].length;
    this.gop.splice(0, drop);
    if (this.gop.length > 0 && at > start) this.gop[0] = this.gop[0].subarray(at - start);
    this.gopStart = at;
  }

  /** Nothing is kept before a keyframe (or a candidate being scanned); a GOP over the bound is not cached. */
  private bound(): void {
    if (this.bytes > MAX_GOP_BYTES) {
      this.gopOpen = false;
      this.scan = null;
    }
    if (!this.gopOpen) this.dropBefore(this.scan ? this.scan.at : this.position);
  }
}
