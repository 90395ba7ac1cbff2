// Client side of the plain RTMP handshake:
//
//   client → C0 (version 3) + C1 (our time, zero, random)
//   server → S0 + S1 + S2
//   client → C2 (S1 echoed back)
//
// C1's bytes 4..7 are zero, which tells digest-aware servers (nginx-rtmp, the
// big ingest services) that this is the plain handshake; they then answer
// with a plain S1/S2, as they do for OBS and ffmpeg.
import { randomBytes } from "node:crypto";
import { HANDSHAKE_PACKET_SIZE, RTMP_VERSION } from "./handshake";
import { RtmpProtocolError } from "./protocol";

const SERVER_REPLY_BYTES = 1 + 2 * HANDSHAKE_PACKET_SIZE;

export class ClientHandshake {
  private buffered: Buffer = Buffer.alloc(0);
  private done = false;

  /** C0 + C1: what the client sends first. */
  start(): Buffer {
    const c1 = Buffer.alloc(HANDSHAKE_PACKET_SIZE);
    c1.writeUInt32BE(Math.floor(process.uptime() * 1000) >>> 0, 0);
    randomBytes(HANDSHAKE_PACKET_SIZE - 8).copy(c1, 8);
    return Buffer.concat([Buffer.of(RTMP_VERSION), c1]);
  }

  /**
   * Feeds received bytes; once S0+S1+S2 are all here, returns C2 to send and
   * whatever arrived after S2 (the server's first chunks).
   */
  push(data: Buffer): { c2: Buffer; rest: Buffer } | null {
    if (this.done) return { c2: Buffer.alloc(0), rest: data };
    this.buffered = this.buffered.length ? Buffer.concat([this.buffered, data]) : data;
    if (this.buffered.length < SERVER_REPLY_BYTES) return null;
    if (this.buffered[0] !== RTMP_VERSION) throw new RtmpProtocolError(`the server answered with RTMP version ${this.buffered[0]}`);
    const s1 = this.buffered.subarray(1, 1 + HANDSHAKE_PACKET_SIZE);
    const rest = this.buffered.subarray(SERVER_REPLY_BYTES);
    this.buffered = Buffer.alloc(0);
    this.done = true;
    return { c2: Buffer.from(s1), rest };
  }
}
