import dgram from "node:dgram";

/**
 * Forged SRT callers: just enough of the SRT v5 caller handshake (induction, then conclusion
 * with HSREQ and the stream id) to be accepted by a listener, then keep-alives and nothing
 * else. What an attacker needs to make a listener create connections without a real encoder:
 * hundreds of them cost this test one UDP socket each.
 */

const HANDSHAKE = 0x8000_0000; // control packet, type 0
const KEEPALIVE = 0x8001_0000; // control packet, type 1
const HS_INDUCTION = 1;
const HS_CONCLUSION = 0xffff_ffff;
const HS_REJECTION_MIN = 1000; // handshake types from 1000 on are rejection reasons
const EXT_HSREQ = 1;
const EXT_SID = 5;
const SRT_VERSION = 0x010501;
// TSBPDSND | TSBPDRCV | TLPKTDROP | NAKREPORT | REXMITFLG
const SRT_FLAGS = 0x01 | 0x02 | 0x08 | 0x10 | 0x20;

export type ForgedOutcome = { accepted: true } | { accepted: false; rejectCode: number } | { accepted: false; timeout: true };

export class ForgedSrtCaller {
  readonly socketId = 0x1000_0000 + Math.floor(Math.random() * 0x0fff_ffff);
  private readonly sock = dgram.createSocket("udp4");
  private peerSocketId = 0;
  private keepAlive: NodeJS.Timeout | undefined;

  private constructor(private readonly port: number, private readonly streamId: string) {
    this.sock.on("error", () => undefined);
  }

  /** Runs the handshake; resolves with the listener's verdict (or a timeout). */
  static async connect(port: number, streamId: string, timeoutMs = 5000): Promise<{ caller: ForgedSrtCaller; outcome: ForgedOutcome }> {
    const caller = new ForgedSrtCaller(port, streamId);
    const outcome = await caller.handshake(timeoutMs);
    if (outcome.accepted) caller.startKeepAlive();
    return { caller, outcome };
  }

  close(): void {
    clearInterval(this.keepAlive);
    try {
      this.sock.close();
    } catch {
      // already closed
    }
  }

  private async handshake(timeoutMs: number): Promise<ForgedOutcome> {
    const deadline = Date.now() + timeoutMs;
    const induction = await this.exchange(this.handshakePacket(4, 2, HS_INDUCTION, 0, Buffer.alloc(0)), deadline, (t) => t === HS_INDUCTION);
    if (!induction) return { accepted: false, timeout: true };
    const cookie = induction.readUInt32BE(16 + 28);
    const conclusion = this.handshakePacket(5, 1 | 4, HS_CONCLUSION, cookie, Buffer.concat([hsreq(), sid(this.streamId)]));
    // A late answer to a repeated induction may still arrive: wait for the conclusion's.
    const answer = await this.exchange(conclusion, deadline, (t) => t !== HS_INDUCTION);
    if (!answer) return { accepted: false, timeout: true };
    const type = answer.readUInt32BE(16 + 20);
    if (type >= HS_REJECTION_MIN && type !== HS_CONCLUSION) return { accepted: false, rejectCode: type - HS_REJECTION_MIN }; // SRT sends 1000 + reason
    this.peerSocketId = answer.readUInt32BE(16 + 24);
    return { accepted: true };
  }

  /** Sends `packet` every 250 ms until a handshake answer arrives (UDP may drop either). */
  private exchange(packet: Buffer, deadline: number, isAnswer: (handshakeType: number) => boolean): Promise<Buffer | null> {
    return new Promise((resolve) => {
      const send = () => this.sock.send(packet, this.port, "127.0.0.1");
      const finish = (answer: Buffer | null) => {
        clearInterval(resend);
        clearTimeout(timer);
        this.sock.off("message", onMessage);
        resolve(answer);
      };
      const onMessage = (msg: Buffer) => {
        if (msg.length >= 64 && msg.readUInt32BE(0) === HANDSHAKE && isAnswer(msg.readUInt32BE(16 + 20))) finish(msg);
      };
      this.sock.on("message", onMessage);
      const resend = setInterval(send, 250);
      const timer = setTimeout(() => finish(null), Math.max(0, deadline - Date.now()));
      send();
    });
  }

  private handshakePacket(version: number, extension: number, type: number, cookie: number, extensions: Buffer): Buffer {
    const p = Buffer.alloc(16 + 48);
    p.writeUInt32BE(HANDSHAKE, 0);
    p.writeUInt32BE(0, 4);
    p.writeUInt32BE(0, 8); // timestamp
    p.writeUInt32BE(0, 12); // destination socket: 0 until connected
    p.writeUInt32BE(version, 16);
    p.writeUInt16BE(0, 20); // no encryption
    p.writeUInt16BE(extension, 22);
    p.writeUInt32BE(Math.floor(Math.random() * 0x7fff_ffff), 24); // initial sequence number
    p.writeUInt32BE(1500, 28); // MTU
    p.writeUInt32BE(8192, 32); // flow window
    p.writeUInt32BE(type, 36);
    p.writeUInt32BE(this.socketId, 40);
    p.writeUInt32BE(cookie, 44);
    p.writeUInt32LE(0x0100007f, 48); // peer IP 127.0.0.1, host order as libsrt writes it
    return Buffer.concat([p, extensions]);
  }

  private startKeepAlive(): void {
    const packet = Buffer.alloc(16);
    packet.writeUInt32BE(KEEPALIVE, 0);
    packet.writeUInt32BE(this.peerSocketId, 12);
    this.keepAlive = setInterval(() => this.sock.send(packet, this.port, "127.0.0.1"), 1000);
  }
}

function extension(type: number, content: Buffer): Buffer {
  const head = Buffer.alloc(4);
  head.writeUInt16BE(type, 0);
  head.writeUInt16BE(content.length / 4, 2);
  return Buffer.concat([head, content]);
}

function hsreq(): Buffer {
  const c = Buffer.alloc(12);
  c.writeUInt32BE(SRT_VERSION, 0);
  c.writeUInt32BE(SRT_FLAGS, 4);
  c.writeUInt16BE(120, 8); // receiver TSBPD delay, ms
  c.writeUInt16BE(120, 10); // sender TSBPD delay, ms
  return extension(EXT_HSREQ, c);
}

/** The stream id, zero-padded to whole 32-bit words, each word byte-swapped (SRT's wire quirk). */
function sid(streamId: string): Buffer {
  const raw = Buffer.from(streamId, "utf8");
  const padded = Buffer.alloc(Math.ceil(raw.length / 4) * 4);
  raw.copy(padded);
  for (let i = 0; i < padded.length; i += 4) padded.writeUInt32LE(padded.readUInt32BE(i), i);
  return extension(EXT_SID, padded);
}
