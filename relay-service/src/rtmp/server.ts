// RTMP server: accepts TCP connections and runs one RtmpSession per connection,
// for publishers and (when onPlay is given) players.
import net from "node:net";
import type { Logger } from "pino";
import { ByteBudget } from "./byte-budget";
import { DEFAULT_CHUNK_READER_LIMITS, type ChunkReaderLimits } from "./chunk-reader";
import type { RtmpLimitReason } from "./protocol";
import type { RtmpPlayer } from "./playback";
import { RtmpSession } from "./session";

export interface RtmpPublishRequest {
  app: string; // app name, query stripped
  streamName: string; // stream name, query stripped
  query: URLSearchParams; // query params of app and stream name merged (stream's win); e.g. vhost, domain, auth_key
  tcUrl: string;
  remoteAddress: string;
}

export interface RtmpPublishSink {
  /** An FLV tag's body: type 8 audio, 9 video, 18 script data (onMetaData, with the @setDataFrame wrapper removed). timestamp in ms (32-bit, as received). */
  onTag(type: 8 | 9 | 18, timestamp: number, payload: Buffer): void;
  /** Called exactly once when an accepted publish ends: unpublish, socket close/reset, idle timeout, protocol error, or server close. */
  onEnd(reason: "unpublish" | "disconnect" | "timeout" | "protocol-error" | "server-close" | "taken-over"): void;
  /** Called once the publish is accepted, with a hang-up for the server side (a newer publisher took the stream over). */
  onStart?(hangUp: () => void): void;
}

export type RtmpPublishDecision =
  | { accept: true; sink: RtmpPublishSink }
  | { accept: false; code: "Unauthorized" | "Conflict" | "BadRequest"; description: string };

export type { RtmpPlayer };

/** A play request names its stream like a publish (app, stream name, query, tcUrl). */
export type RtmpPlayDecision =
  | { accept: true; start(player: RtmpPlayer): () => void }
  | { accept: false; code: "BadRequest" | "Unauthorized" | "Forbidden" | "NotFound" | "Busy"; description: string };

export interface RtmpServerOptions {
  host: string;
  port: number; // 0 = ephemeral
  logger: Logger;
  onPublish(req: RtmpPublishRequest): Promise<RtmpPublishDecision> | RtmpPublishDecision;
  /** Players: decides synchronously; accepting hands the source a player to write into (returns its detach). */
  onPlay?(req: RtmpPublishRequest): RtmpPlayDecision;
  idleTimeoutMs?: number; // default 10_000: no bytes from a publisher for this long → end it
  /** Connections beyond this are closed at once (default 1000). */
  maxConnections?: number;
  /** Bytes of incomplete messages held across all connections (default 64 MiB). */
  maxBufferedBytes?: number;
  /** Largest message a peer may declare (default 8 MiB). */
  maxMessageBytes?: number;
  /** A connection was refused or closed for passing a limit (for the metrics). */
  onRefused?(reason: RtmpRefusalReason): void;
}

export type RtmpRefusalReason = "max-connections" | RtmpLimitReason;

export const DEFAULT_RTMP_LIMITS = {
  maxConnections: 1000,
  maxBufferedBytes: 64 * 1024 * 1024,
  maxMessageBytes: DEFAULT_CHUNK_READER_LIMITS.maxMessageLength,
};

const DEFAULT_IDLE_TIMEOUT_MS = 10_000;

export class RtmpServer {
  private readonly server: net.Server;
  private readonly sessions = new Set<RtmpSession>();
  private readonly log: Logger;
  /** Incomplete-message bytes of every connection together. */
  private readonly buffered: ByteBudget;
  private nextConnectionId = 1;
  private closing = false;

  constructor(private readonly opts: RtmpServerOptions) {
    this.log = opts.logger.child({ component: "rtmp" });
    this.buffered = new ByteBudget(opts.maxBufferedBytes ?? DEFAULT_RTMP_LIMITS.maxBufferedBytes);
    this.server = net.createServer((socket) => this.onConnection(socket));
  }

  listen(): Promise<void> {
    return new Promise((resolve, reject) => {
      const onError = (err: Error) => reject(err);
      this.server.once("error", onError);
      this.server.listen(this.opts.port, this.opts.host, () => {
        this.server.off("error", onError);
        this.server.on("error", (err) => this.log.error({ err }, "rtmp listener error"));
        this.log.info({ host: this.opts.host, port: this.port }, "rtmp server listening");
        resolve();
      });
    });
  }

  get port(): number {
    const address = this.server.address();
    return address && typeof address === "object" ? address.port : 0;
  }

  get connectionCount(): number {
    return this.sessions.size;
  }

  /** Bytes of incomplete messages held right now, across all connections. */
  get bufferedBytes(): number {
    return this.buffered.inUse;
  }

  /** Stops accepting, ends every session with "server-close", resolves once every socket is closed. */
  async close(): Promise<void> {
    this.closing = true;
    const listenerClosed = new Promise<void>((resolve) => {
      if (!this.server.listening) resolve();
      else this.server.close(() => resolve());
    });
    const sessions = [...this.sessions];
    for (const session of sessions) session.terminate("server-close", "server closing");
    await Promise.all([listenerClosed, ...sessions.map((s) => s.closed)]);
  }

  private onConnection(socket: net.Socket): void {
    const remoteAddress = socket.remoteAddress ?? "";
    if (this.closing || this.atCapacity()) {
      this.log.warn({ remoteAddress, connections: this.sessions.size }, "refusing rtmp connection");
      if (!this.closing) this.opts.onRefused?.("max-connections");
      socket.destroy();
      return;
    }
    socket.setNoDelay(true); // replies are tiny and the client waits for each of them
    const session = new RtmpSession(socket, {
      logger: this.log.child({ conn: this.nextConnectionId++, remoteAddress }),
      onPublish: this.opts.onPublish,
      onPlay: this.opts.onPlay,
      idleTimeoutMs: this.opts.idleTimeoutMs ?? DEFAULT_IDLE_TIMEOUT_MS,
      readerLimits: this.readerLimits(),
      budget: this.buffered,
      onLimit: (reason) => this.opts.onRefused?.(reason),
    });
    this.sessions.add(session);
    void session.closed.then(() => this.sessions.delete(session));
  }

  private readerLimits(): Pick<ChunkReaderLimits, "maxMessageLength" | "maxPendingBytes"> {
    const maxMessageLength = this.opts.maxMessageBytes ?? DEFAULT_RTMP_LIMITS.maxMessageBytes;
    // One connection may hold a whole message on each of a few chunk streams (audio, video, data).
    const maxPendingBytes = Math.max(DEFAULT_CHUNK_READER_LIMITS.maxPendingBytes, Math.ceil(maxMessageLength * 1.5));
    return { maxMessageLength, maxPendingBytes };
  }

  private atCapacity(): boolean {
    return this.sessions.size >= (this.opts.maxConnections ?? DEFAULT_RTMP_LIMITS.maxConnections);
  }
}
