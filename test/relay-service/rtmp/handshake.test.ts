import { describe, expect, it } from "vitest";
import { HANDSHAKE_PACKET_SIZE, ServerHandshake } from "../../../relay-service/src/rtmp/handshake";
import { RtmpProtocolError } from "../../../relay-service/src/rtmp/protocol";

function c1(): Buffer {
  const b = Buffer.alloc(HANDSHAKE_PACKET_SIZE);
  for (let i = 0; i < b.length; i++) b[i] = (i * 31) & 0xff;
  b.writeUInt32BE(0x09007c02, 4); // ffmpeg puts a non-zero "version" here (FP9 digest handshake)
  return b;
}

describe("ServerHandshake", () => {
  it("answers C0+C1 with S0, a plain S1 and S2 = C1", () => {
    const hs = new ServerHandshake();
    const progress = hs.push(Buffer.concat([Buffer.of(3), c1()]));
    expect(progress.done).toBe(false);
    const reply = progress.reply!;
    expect(reply.length).toBe(1 + 2 * HANDSHAKE_PACKET_SIZE);
    expect(reply[0]).toBe(3);
    expect(reply.readUInt32BE(1 + 4)).toBe(0); // zero field: tells clients "no digest here"
    expect(reply.subarray(1 + HANDSHAKE_PACKET_SIZE)).toEqual(c1());
  });

  it("completes after C2 and returns the bytes that followed it", () => {
    const hs = new ServerHandshake();
    hs.push(Buffer.concat([Buffer.of(3), c1()]));
    const progress = hs.push(Buffer.concat([Buffer.alloc(HANDSHAKE_PACKET_SIZE, 1), Buffer.from("chunks")]));
    expect(progress).toEqual({ done: true, rest: Buffer.from("chunks") });
  });

  it("copes with one byte at a time and with C0+C1+C2 in one segment", () => {
    const all = Buffer.concat([Buffer.of(3), c1(), Buffer.alloc(HANDSHAKE_PACKET_SIZE, 2), Buffer.of(0xaa)]);
    const slow = new ServerHandshake();
    const replies: Buffer[] = [];
    let last = { done: false } as ReturnType<ServerHandshake["push"]>;
    for (let i = 0; i < all.length && !last.done; i++) {
      last = slow.push(all.subarray(i, i + 1));
      if (last.reply) replies.push(last.reply);
    }
    expect(replies).toHaveLength(1);
    expect(last.done).toBe(true);
    expect(last.rest).toBeUndefined(); // the 0xaa byte was never pushed

    const fast = new ServerHandshake().push(all);
    expect(fast.done).toBe(true);
    expect(fast.reply!.length).toBe(3073);
    expect(fast.rest).toEqual(Buffer.of(0xaa));
  });

  it("rejects other protocol versions (RTMPE, HTTP, TLS)", () => {
    for (const first of [6, 0x47, 0x16]) {
      const hs = new ServerHandshake();
      expect(() => hs.push(Buffer.concat([Buffer.of(first), c1()]))).toThrow(RtmpProtocolError);
    }
  });
});
