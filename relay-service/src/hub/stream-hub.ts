import { EventEmitter } from "node:events";
import { LiveStream, streamKeyString, type IngestProtocol, type StreamKey } from "./live-stream";

export interface StreamHubEvents {
  "stream-start": [LiveStream];
  "stream-end": [LiveStream];
  "subscriber-overflow": [LiveStream, string];
}

/**
 * Every live stream, by (domain, appName, streamName). Protocol servers publish into it;
 * workers subscribe to its streams; the scheduler listens to its start/end events.
 */
export class StreamHub extends EventEmitter<StreamHubEvents> {
  private readonly streams = new Map<string, LiveStream>();
  /** Stream key → until when (ms since epoch) a reservation holds it, and whether it may take a live stream over. */
  private readonly reservations = new Map<string, { until: number; takeover: boolean }>();

  /**
   * Claims a stream for a publisher; null when it is already live (the first publisher keeps
   * it) or reserved, unless `fromReservation`: an SRT connection whose caller was accepted at
   * the handshake, which takes the reservation over. With `takeover` (or a reservation made
   * with it) a live stream is ended and its publisher hung up, and the new one takes the key.
   */
  publish(key: StreamKey, protocol: IngestProtocol, opts: { fromReservation?: boolean; takeover?: boolean } = {}): LiveStream | null {
    const id = streamKeyString(key);
    const takeover = opts.takeover || (opts.fromReservation && this.reservations.get(id)?.takeover);
    if ((this.streams.has(id) && !takeover) || (!opts.fromReservation && this.isReserved(id))) return null;
    this.reservations.delete(id);
    const previous = this.streams.get(id);
    if (previous) this.takeOver(previous);
    const stream = new LiveStream(key, protocol, (s) => this.emit("subscriber-overflow", stream, s.name));
    this.streams.set(id, stream);
    this.emit("stream-start", stream);
    return stream;
  }

  /**
   * Holds a key for `holdMs` for an SRT caller accepted at the handshake whose connection has
   * not arrived yet: other publishers (RTMP) are refused meanwhile. False when the key is live,
   * unless `takeover`: the live stream then ends only when this caller's connection arrives
   * (a handshake can still fail on the passphrase). Another accepted SRT caller renews the hold
   * rather than being refused, and the first to connect wins: a caller whose handshake fails
   * after the hold (wrong passphrase) never arrives, and must not keep the rightful publisher out.
   */
  reserve(key: StreamKey, holdMs: number, opts: { takeover?: boolean } = {}): boolean {
    const id = streamKeyString(key);
    if (this.streams.has(id) && !opts.takeover) return false;
    if (this.reservations.size >= 1000) this.dropExpiredReservations();
    this.reservations.set(id, { until: Date.now() + holdMs, takeover: opts.takeover === true });
    return true;
  }

  /** Ends a publication; only the stream object that holds the key can end it. */
  unpublish(stream: LiveStream): void {
    const id = streamKeyString(stream.key);
    if (this.streams.get(id) !== stream) return;
    this.streams.delete(id);
    stream.end();
    this.emit("stream-end", stream);
  }

  get(key: StreamKey): LiveStream | undefined {
    return this.streams.get(streamKeyString(key));
  }

  isLive(key: StreamKey): boolean {
    return this.streams.has(streamKeyString(key));
  }

  list(domain?: string): LiveStream[] {
    return [...this.streams.values()].filter((s) => domain === undefined || s.key.domain === domain);
  }

  private isReserved(id: string): boolean {
    const until = this.reservations.get(id)?.until;
    if (until === undefined) return false;
    if (Date.now() < until) return true;
    this.reservations.delete(id);
    return false;
  }

  private dropExpiredReservations(): void {
    const now = Date.now();
    for (const [id, { until }] of this.reservations) if (until <= now) this.reservations.delete(id);
  }

  /** Ends a live stream for a newer publisher of its key: its relays stop with it ("stream-end"). */
  private takeOver(previous: LiveStream): void {
    previous.hangUp();
    this.unpublish(previous);
  }

  /** Ends every stream (service shutdown). */
  closeAll(): void {
    for (const s of [...this.streams.values()]) this.unpublish(s);
  }
}
