import type { Subscriber } from "./subscriber";

/** A reader whose queue grows past this is dropped (≈ 13 s of a 2.5 Mbit/s stream). */
export const MAX_SUBSCRIBER_QUEUE_BYTES = 4 * 1024 * 1024;

/** What readers of one container join from: the bytes that let a decoder start, once it can. */
export interface StartCache {
  readonly joinable: boolean;
  snapshot(): Buffer[];
}

/**
 * The readers of one container of one stream. Every chunk is muxed once (by the stream) and
 * written to all of them; a reader joining before the cache is joinable waits, and a reader
 * whose queue grows past the bound is dropped, so it never slows the publisher or the others.
 */
export class ReaderSet {
  private readonly readers = new Set<Subscriber>();
  private readonly pending = new Set<Subscriber>();

  constructor(
    private readonly cache: StartCache,
    private readonly onOverflow: (s: Subscriber) => void,
  ) {}

  add(subscriber: Subscriber): () => void {
    if (this.cache.joinable) this.admit(subscriber);
    else this.pending.add(subscriber);
    return () => {
      this.pending.delete(subscriber);
      this.readers.delete(subscriber);
    };
  }

  broadcast(chunk: Buffer): void {
    for (const s of this.readers) this.deliver(s, chunk);
    if (this.pending.size > 0 && this.cache.joinable) this.admitPending();
  }

  closeAll(): void {
    for (const s of this.readers) s.close("ended");
    for (const s of this.pending) s.close("ended");
    this.readers.clear();
    this.pending.clear();
  }

  get size(): number {
    return this.readers.size + this.pending.size;
  }

  private admit(subscriber: Subscriber) {
    this.readers.add(subscriber);
    for (const chunk of this.cache.snapshot()) this.deliver(subscriber, chunk);
  }

  private admitPending() {
    for (const s of this.pending) this.admit(s);
    this.pending.clear();
  }

  private deliver(subscriber: Subscriber, chunk: Buffer) {
    if (!this.readers.has(subscriber)) return;
    if (subscriber.queuedBytes() > MAX_SUBSCRIBER_QUEUE_BYTES) {
      this.readers.delete(subscriber);
      subscriber.close("overflow");
      this.onOverflow(subscriber);
      return;
    }
    subscriber.write(chunk);
  }
}
