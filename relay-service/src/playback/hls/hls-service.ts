import crypto from "node:crypto";
import { streamKeyString, type LiveStream } from "../../hub/live-stream";
import type { ReaderRegistry, ReaderRefusalReason, ReaderTicket } from "../reader-registry";
import { DEFAULT_HLS_OPTIONS, HlsPackager, type HlsPackagerOptions, type TsSource } from "./hls-packager";

/** A player that has not asked for anything this long has left: its session ends. */
export const HLS_SESSION_IDLE_MS = 30_000;
/** A packager nobody asked for this long stops (it holds a hub reader and a window of segments). */
export const HLS_PACKAGER_IDLE_MS = 30_000;
const SWEEP_MS = 5_000;

interface Session {
  streamId: string;
  ticket: ReaderTicket;
  lastSeen: number;
}

/**
 * HLS for every stream players ask for: one packager per stream, started by the first request
 * and stopped when nobody asked for a while or the stream ended; and player sessions (one per
 * master-playlist request, named in the media playlist and segment URLs), each holding a
 * reader place, so HLS players are counted and bounded like the others.
 */
export class HlsService {
  private readonly packagers = new Map<string, HlsPackager>();
  private readonly sessions = new Map<string, Session>();
  private readonly sweeper: NodeJS.Timeout;

  constructor(
    private readonly deps: {
      readers: ReaderRegistry;
      /** The stream's MPEG-TS as a hub reader (muxed from frames for an RTMP stream). */
      tsSource: (stream: LiveStream) => TsSource;
      onDropped?: () => void;
      options?: HlsPackagerOptions;
    },
  ) {
    this.sweeper = setInterval(() => this.sweep(), SWEEP_MS).unref();
  }

  /** The running packager of a live stream, started when needed. */
  packager(stream: LiveStream): HlsPackager {
    const id = streamKeyString(stream.key);
    const running = this.packagers.get(id);
    if (running && running.stream === stream && !running.isEnded) return running;
    running?.stop();
    const packager = new HlsPackager(stream, this.deps.tsSource(stream), this.deps.options ?? DEFAULT_HLS_OPTIONS, (reason) => {
      if (this.packagers.get(id) === packager) this.packagers.delete(id);
      if (reason === "overflow") this.deps.onDropped?.();
    });
    this.packagers.set(id, packager);
    return packager;
  }

  /** A new player session of the stream, or why the reader limits refuse it. */
  openSession(stream: LiveStream): string | ReaderRefusalReason {
    const ticket = this.deps.readers.admit(stream.key, "hls");
    if (typeof ticket === "string") return ticket;
    const id = crypto.randomBytes(12).toString("base64url");
    this.sessions.set(id, { streamId: streamKeyString(stream.key), ticket, lastSeen: Date.now() });
    return id;
  }

  /** Marks a session of this stream as alive; false when it is unknown (expired, or another stream's). */
  touchSession(id: string, stream: LiveStream): boolean {
    const session = this.sessions.get(id);
    if (!session || session.streamId !== streamKeyString(stream.key)) return false;
    session.lastSeen = Date.now();
    return true;
  }

  stop(): void {
    clearInterval(this.sweeper);
    for (const p of [...this.packagers.values()]) p.stop();
    for (const s of this.sessions.values()) s.ticket.release();
    this.sessions.clear();
  }

  private sweep(): void {
    const now = Date.now();
    for (const [id, s] of this.sessions) {
      if (now - s.lastSeen < HLS_SESSION_IDLE_MS) continue;
      s.ticket.release();
      this.sessions.delete(id);
    }
    for (const p of [...this.packagers.values()]) if (now - p.lastAccess >= HLS_PACKAGER_IDLE_MS) p.stop();
  }
}
