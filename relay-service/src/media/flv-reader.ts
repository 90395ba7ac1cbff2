import type { FlvTagType } from "./flv";

const TAG_HEADER_BYTES = 11;
const PREVIOUS_TAG_SIZE_BYTES = 4;
const FLV_SIGNATURE = "FLV";

export interface FlvReaderTag {
  type: FlvTagType;
  timestamp: number;
  payload: Buffer;
}

/**
 * Incremental FLV demuxer for a byte stream cut anywhere (ffmpeg's `-f flv pipe:1`): the file
 * header and PreviousTagSize0, then tags (11-byte header, payload, 4-byte PreviousTagSize).
 * Tags of other types than audio, video and script data are skipped.
 */
export class FlvReader {
  private pending: Buffer = Buffer.alloc(0);
  /** Chunks not yet joined to `pending`: joined only once the next tag is complete, so a large tag arriving in small chunks costs one copy. */
  private waiting: Buffer[] = [];
  private waitingBytes = 0;
  private needBytes = 9;
  private headerDone = false;

  constructor(private readonly onTag: (tag: FlvReaderTag) => void) {}

  /** Throws on a stream that is not FLV; the caller ends the producer. */
  push(chunk: Buffer): void {
    this.waiting.push(chunk);
    this.waitingBytes += chunk.length;
    if (this.pending.length + this.waitingBytes < this.needBytes) return;
    // A reader fed whole tags (the hub's FLV stream) never copies them.
    this.pending = this.pending.length === 0 && this.waiting.length === 1 ? this.waiting[0] : Buffer.concat([this.pending, ...this.waiting]);
    this.waiting = [];
    this.waitingBytes = 0;
    this.parse();
  }

  private parse(): void {
    let at = 0;
    if (!this.headerDone) {
      const skipped = this.skipFileHeader();
      if (skipped === 0) return;
      at = skipped;
      this.headerDone = true;
    }
    for (;;) {
      const used = this.readTag(at);
      if (used === 0) break;
      at += used;
    }
    this.pending = this.pending.subarray(at);
  }

  /** Bytes of header + PreviousTagSize0 once all are here, else 0. */
  private skipFileHeader(): number {
    if (this.pending.length < 9) return 0;
    if (this.pending.toString("latin1", 0, 3) !== FLV_SIGNATURE) throw new Error("not an FLV stream");
    const total = this.pending.readUInt32BE(5) + PREVIOUS_TAG_SIZE_BYTES;
    this.needBytes = total;
    return this.pending.length >= total ? total : 0;
  }

  /** Bytes of one whole tag starting at `at`, after emitting it; 0 when it is not all here yet. */
  private readTag(at: number): number {
    const buf = this.pending;
    this.needBytes = TAG_HEADER_BYTES;
    if (buf.length - at < TAG_HEADER_BYTES) return 0;
    const size = buf.readUIntBE(at + 1, 3);
    const total = TAG_HEADER_BYTES + size + PREVIOUS_TAG_SIZE_BYTES;
    this.needBytes = total;
    if (buf.length - at < total) return 0;
    const type = buf[at] & 0x1f; // the upper bits are the filter (encryption) flag and reserved
    // 24 lower bits, then the "extended" upper 8 bits.
    const timestamp = (buf.readUIntBE(at + 4, 3) | (buf[at + 7] << 24)) >>> 0;
    if (type === 8 || type === 9 || type === 18) {
      this.onTag({ type, timestamp, payload: buf.subarray(at + TAG_HEADER_BYTES, at + TAG_HEADER_BYTES + size) });
    }
    return total;
  }
}
