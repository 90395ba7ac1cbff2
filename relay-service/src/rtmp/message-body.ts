// The body of one RTMP message while its chunks arrive. Large pieces are kept as
// they came (zero-copy); small ones are copied into a shared tail buffer, because
// each tiny Buffer costs a hundred bytes or more of bookkeeping and pins the socket
// read it came from: a peer trickling a big message a few bytes per TCP segment
// would otherwise make us hold many times the bytes it sent.

const ZERO_COPY_MIN = 4096;
const TAIL_BYTES = 16 * 1024;

export class MessageBody {
  private readonly parts: Buffer[] = [];
  private tail: Buffer | null = null;
  private tailUsed = 0;
  /** Bytes received so far. */
  received = 0;

  /** `hold(n)` is told of every byte of memory this body takes (it may throw to refuse). */
  constructor(readonly length: number, private readonly hold: (bytes: number) => void) {}

  /** Bytes of memory held: pieces kept plus tail buffers allocated. */
  held = 0;

  add(piece: Buffer): void {
    this.received += piece.length;
    if (piece.length >= ZERO_COPY_MIN) {
      this.closeTail();
      this.take(piece.length);
      this.parts.push(piece);
      return;
    }
    if (this.tail && this.tailUsed + piece.length > this.tail.length) this.closeTail();
    if (!this.tail) {
      const size = Math.max(piece.length, Math.min(TAIL_BYTES, this.length - this.received + piece.length));
      this.take(size);
      this.tail = Buffer.allocUnsafeSlow(size);
    }
    this.tailUsed += piece.copy(this.tail, this.tailUsed);
  }

  /** The whole message, once `received === length`. */
  payload(): Buffer {
    this.closeTail();
    return this.parts.length === 1 ? this.parts[0] : Buffer.concat(this.parts, this.received);
  }

  private take(bytes: number): void {
    this.hold(bytes);
    this.held += bytes;
  }

  private closeTail(): void {
    if (!this.tail) return;
    this.parts.push(this.tail.subarray(0, this.tailUsed));
    this.tail = null;
    this.tailUsed = 0;
  }
}
