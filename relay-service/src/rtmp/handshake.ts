// Server side of the plain RTMP handshake:
//
//   client → C0 (version 3) + C1 (1536 bytes)
//   server → S0 + S1 (our time, zero, random) + S2 (C1 echoed back)
//   client → C2 (1536 bytes, nominally S1 echoed)
//
// We do not implement the Flash Player 9 "digest" handshake. ffmpeg's C1
// carries a digest, but ffmpeg only validates the server's digest when it
// *plays*, and it skips validation entirely when S1's version field is zero;
// GStreamer's rtmp2sink checks that S2 echoes C1's random bytes (it only warns
// unless strict). Echoing C1 satisfies both. C2 is read and ignored: clients
// differ in what they put there (rtmp2sink rewrites time2).
import { randomBytes } from "node:crypto";
import { RtmpProtocolError } from "./protocol";

export const RTMP_VERSION = 3;
export const HANDSHAKE_PACKET_SIZE = 1536;

export interface HandshakeProgress {
  /** Bytes to send to the client now (S0+S1+S2), if any. */
  reply?: Buffer;
  /** True once C2 has been consumed. */
  done: boolean;
  /** Bytes that arrived after C2: the first RTMP chunks. */
  rest?: Buffer;
}

export class ServerHandshake {
  private buffered: Buffer = Buffer.alloc(0);
  private stage: "c0c1" | "c2" | "done" = "c0c1";

  /** Feeds received bytes; never buffers more than C0+C1 or C2 (≤ 1537 bytes). */
  push(data: Buffer): HandshakeProgress {
    if (this.stage === "done") return { done: true, rest: data };
    this.buffered = this.buffered.length ? Buffer.concat([this.buffered, data]) : data;
    if (this.stage === "c0c1") return this.readC0C1();
    return this.readC2();
  }

  private readC0C1(): HandshakeProgress {
    if (this.buffered.length < 1 + HANDSHAKE_PACKET_SIZE) return { done: false };
    const version = this.buffered[0];
    // 6 would be RTMPE (encrypted), anything else is not RTMP at all.
    if (version !== RTMP_VERSION) throw new RtmpProtocolError(`unsupported RTMP version ${version}`);
    const c1 = this.buffered.subarray(1, 1 + HANDSHAKE_PACKET_SIZE);
    const reply = Buffer.concat([Buffer.of(RTMP_VERSION), makeS1(), c1]);
    this.buffered = this.buffered.subarray(1 + HANDSHAKE_PACKET_SIZE);
    this.stage = "c2";
    // C2 may already be here if the client did not wait for S0+S1+S2.
    const next = this.buffered.length ? this.readC2() : { done: false };
    return { ...next, reply };
  }

  private readC2(): HandshakeProgress {
    if (this.buffered.length < HANDSHAKE_PACKET_SIZE) return { done: false };
    const rest = this.buffered.subarray(HANDSHAKE_PACKET_SIZE);
    this.buffered = Buffer.alloc(0);
    this.stage = "done";
    return { done: true, rest: rest.length ? rest : undefined };
  }
}

function makeS1(): Buffer {
  const s1 = Buffer.alloc(HANDSHAKE_PACKET_SIZE);
  s1.writeUInt32BE(uptimeMs(), 0);
  // Bytes 4..7 stay zero: that tells digest-aware clients this is a plain handshake.
  randomBytes(HANDSHAKE_PACKET_SIZE - 8).copy(s1, 8);
  return s1;
}

function uptimeMs(): number {
  return Math.floor(process.uptime() * 1000) >>> 0;
}
