// Splits outgoing messages into chunks. The server only sends a handful of
// small control and command messages, so every message starts with a full
// fmt 0 header and continues with fmt 3 chunks: simple, and unambiguous for
// every client implementation.
import { DEFAULT_CHUNK_SIZE, RtmpMessage } from "./protocol";

const EXTENDED_TIMESTAMP = 0xffffff;

export type OutgoingMessage = RtmpMessage;

/** Basic header: 1, 2 or 3 bytes depending on the chunk stream id. */
export function encodeBasicHeader(fmt: number, chunkStreamId: number): Buffer {
  if (chunkStreamId < 2 || chunkStreamId > 65599) throw new RangeError(`invalid chunk stream id ${chunkStreamId}`);
  if (chunkStreamId < 64) return Buffer.of((fmt << 6) | chunkStreamId);
  if (chunkStreamId < 320) return Buffer.of(fmt << 6, chunkStreamId - 64);
  const rest = chunkStreamId - 64;
  return Buffer.of((fmt << 6) | 1, rest & 0xff, rest >> 8);
}

/** fmt 0 message header (11 bytes) plus the extended timestamp when needed. */
export function encodeType0Header(message: Omit<OutgoingMessage, "chunkStreamId">): Buffer {
  const extended = message.timestamp >= EXTENDED_TIMESTAMP;
  const header = Buffer.alloc(extended ? 15 : 11);
  header.writeUIntBE(extended ? EXTENDED_TIMESTAMP : message.timestamp, 0, 3);
  header.writeUIntBE(message.payload.length, 3, 3);
  header[6] = message.type;
  header.writeUInt32LE(message.streamId, 7); // the only little-endian field in RTMP
  if (extended) header.writeUInt32BE(message.timestamp >>> 0, 11);
  return header;
}

export class ChunkWriter {
  private size = DEFAULT_CHUNK_SIZE;

  get chunkSize(): number {
    return this.size;
  }

  /** Call right after queueing our own Set Chunk Size message. */
  set chunkSize(size: number) {
    this.size = size;
  }

  encode(message: OutgoingMessage): Buffer {
    return Buffer.concat(this.encodeParts(message));
  }

  /** The chunks as headers and slices of the payload, uncopied (for a corked socket's writev). */
  encodeParts(message: OutgoingMessage): Buffer[] {
    const parts: Buffer[] = [encodeBasicHeader(0, message.chunkStreamId), encodeType0Header(message)];
    const continuation = this.continuationHeader(message);
    const { payload } = message;
    for (let offset = 0; offset < payload.length; offset += this.size) {
      if (offset > 0) parts.push(continuation);
      parts.push(payload.subarray(offset, offset + this.size));
    }
    return parts;
  }

  private continuationHeader(message: OutgoingMessage): Buffer {
    const basic = encodeBasicHeader(3, message.chunkStreamId);
    if (message.timestamp < EXTENDED_TIMESTAMP) return basic;
    // fmt 3 chunks repeat the extended timestamp (what ffmpeg, librtmp and OBS expect).
    const ext = Buffer.alloc(4);
    ext.writeUInt32BE(message.timestamp >>> 0);
    return Buffer.concat([basic, ext]);
  }
}
