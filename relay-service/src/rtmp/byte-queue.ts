// FIFO of received socket buffers. The chunk reader peeks at short headers and
// takes body bytes as zero-copy slices, so a large chunk arriving in many small
// TCP segments is never re-concatenated over and over.

export class ByteQueue {
  private pieces: Buffer[] = [];
  private size = 0;

  get length(): number {
    return this.size;
  }

  push(data: Buffer): void {
    if (data.length === 0) return;
    this.pieces.push(data);
    this.size += data.length;
  }

  /** The first `n` bytes (fewer if fewer are queued), without consuming them. */
  peek(n: number): Buffer {
    const want = Math.min(n, this.size);
    const first = this.pieces[0];
    if (first && first.length >= want) return first.subarray(0, want);
    const out = Buffer.alloc(want);
    let filled = 0;
    for (const piece of this.pieces) {
      if (filled === want) break;
      filled += piece.copy(out, filled, 0, Math.min(piece.length, want - filled));
    }
    return out;
  }

  /** Removes up to `n` bytes and returns them as slices of the queued buffers. */
  take(n: number): Buffer[] {
    const out: Buffer[] = [];
    let left = Math.min(n, this.size);
    while (left > 0) {
      const first = this.pieces[0];
      if (first.length <= left) {
        out.push(first);
        this.pieces.shift();
        left -= first.length;
        this.size -= first.length;
      } else {
        out.push(first.subarray(0, left));
        this.pieces[0] = first.subarray(left);
        this.size -= left;
        left = 0;
      }
    }
    return out;
  }

  skip(n: number): void {
    this.take(n);
  }
}
