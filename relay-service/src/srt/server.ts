import { EventEmitter } from "node:events";
import type { Logger } from "pino";
import { loadSrtAddon, type NativeDecision, type NativeEvent, type NativeServer } from "./native";
import { describeStreamId } from "./streamid";

/**
 * SRT ingest on one UDP port: many callers, told apart by their stream id.
 * The native addon (relay-service/native/srt) runs libsrt on its own thread; this
 * wrapper turns its batched events into per-connection "data"/"close" events and
 * answers its authorization requests with the synchronous `authorize` option.
 */

export interface SrtCallerInfo {
  streamId: string;
  remoteAddress: string;
}

export type SrtAcceptDecision =
  | { accept: true; passphrase?: string } // passphrase: require this SRT encryption passphrase
  | { accept: false; reason: "BadRequest" | "Unauthorized" | "Forbidden" | "NotFound" | "BadMode" | "Conflict" | "Overloaded" };

export type SrtCloseReason = "disconnect" | "timeout" | "server-close";

export interface SrtConnectionStats {
  bytesReceived: number;
  /** libsrt pktRcvLossTotal: packets detected missing (most are recovered by retransmission). */
  packetsLost: number;
  rttMs: number;
  mbpsRecvRate: number;
}

export interface SrtConnection {
  readonly id: number;
  readonly streamId: string;
  /** Caller IP address (no port), as Node's net.Socket#remoteAddress. */
  readonly remoteAddress: string;
  on(event: "data", fn: (chunk: Buffer) => void): this; // MPEG-TS payload(s), in order
  on(event: "close", fn: (reason: SrtCloseReason) => void): this;
  close(): void;
  /** A reader (m=request): queues bytes to send; false when refused (closed, or the queue is full). */
  send(chunk: Buffer): boolean;
  /** A reader's bytes queued and not yet taken by libsrt. */
  queuedBytes(): number;
  /** libsrt figures are refreshed once a second; bytesReceived is exact. */
  stats(): SrtConnectionStats;
}

export interface SrtServerOptions {
  host: string;
  port: number; // UDP; 0 = ephemeral
  logger: Logger;
  latencyMs?: number; // default 120
  authorize(caller: SrtCallerInfo): SrtAcceptDecision; // synchronous, called on the JS thread
  onConnection(conn: SrtConnection): void;
  /** Connected callers at once (default 200); each costs libsrt ~0.5 MB. */
  maxConnections?: number;
  /** Callers accepted at the handshake whose connection has not arrived yet (default 32). */
  maxPendingHandshakes?: number;
  /** A caller was rejected for passing a limit (for the metrics). */
  onRefused?(reason: SrtRefusalReason): void;
}

export type SrtRefusalReason = "max-connections" | "max-handshakes";

export const DEFAULT_SRT_LIMITS = { maxConnections: 200, maxPendingHandshakes: 32 };

// SRT_REJX_* codes from srt/access_control.h (HTTP-like, offset by 1000).
const REJECT_CODES: Record<Extract<SrtAcceptDecision, { accept: false }>["reason"], number> = {
  BadRequest: 1400,
  Unauthorized: 1401,
  Forbidden: 1403,
  NotFound: 1404,
  BadMode: 1405, // the `m` of the stream id is not offered
  Conflict: 1409,
  Overloaded: 1402,
};
const SRT_REJX_ISE = 1500;
const SRT_REJX_OVERLOAD = 1402;
// An accepted handshake becomes a connection within milliseconds, or never (its caller
// failed the passphrase check after our callback, or vanished).
const PENDING_HANDSHAKE_MS = 3000;
// libsrt refuses shorter or longer passphrases (SRTO_PASSPHRASE).
const PASSPHRASE_BYTES = { min: 10, max: 79 };
// Verified default of SRTO_PEERIDLETIMEO in libsrt 1.5; set explicitly so it cannot drift.
const PEER_IDLE_TIMEOUT_MS = 5000;
// Bounds how long libsrt's receive thread (shared by every caller on the port) waits for JS.
const AUTH_TIMEOUT_MS = 1000;
const REJECT_LOG_WINDOW_MS = 10_000;
const LOG_ERR = 3; // syslog level numbers used by libsrt's log callback

class Connection extends EventEmitter implements SrtConnection {
  private bytes = 0;
  private srt = { packetsLost: 0, rttMs: 0, mbpsRecvRate: 0 };
  private closed = false;

  constructor(
    readonly id: number,
    readonly streamId: string,
    readonly remoteAddress: string,
    private readonly requestClose: (id: number) => void,
    private readonly native: Pick<NativeServer, "send" | "queued"> | undefined,
  ) {
    super();
  }

  override on(event: "data", fn: (chunk: Buffer) => void): this;
  override on(event: "close", fn: (reason: SrtCloseReason) => void): this;
  override on(event: string | symbol, fn: Parameters<EventEmitter["on"]>[1]): this {
    return super.on(event, fn);
  }

  close(): void {
    if (!this.closed) this.requestClose(this.id);
  }

  stats(): SrtConnectionStats {
    return { bytesReceived: this.bytes, ...this.srt };
  }

  send(chunk: Buffer): boolean {
    // An addon built before readers existed has no send: the reader is refused, never crashes its feed.
    if (this.closed || typeof this.native?.send !== "function") return false;
    return this.native.send(this.id, chunk) >= 0;
  }

  queuedBytes(): number {
    return this.closed || !this.native ? 0 : Math.max(0, this.native.queued(this.id));
  }

  deliver(chunk: Buffer): void {
    this.bytes += chunk.length;
    this.emit("data", chunk);
  }

  updateStats(s: Omit<SrtConnectionStats, "bytesReceived">): void {
    this.srt = { packetsLost: s.packetsLost, rttMs: s.rttMs, mbpsRecvRate: s.mbpsRecvRate };
  }

  finish(reason: SrtCloseReason): void {
    if (this.closed) return;
    this.closed = true;
    this.emit("close", reason);
  }
}

const callerKey = (streamId: string, remoteAddress: string) => `${remoteAddress} ${streamId}`;

type State = "idle" | "listening" | "closing" | "closed";

export class SrtServer {
  private native: NativeServer | undefined;
  private state: State = "idle";
  private boundPort = 0;
  private readonly conns = new Map<number, Connection>();
  private readonly recentRejections = new Map<string, number>();
  /** Handshakes we accepted whose connection has not arrived: caller key → until when we wait for it. */
  private readonly pendingHandshakes: { caller: string; until: number }[] = [];
  private readonly log: Logger;
  private stopped: Promise<void> = Promise.resolve();
  private resolveStopped: () => void = () => {};

  constructor(private readonly o: SrtServerOptions) {
    this.log = o.logger.child({ component: "srt" });
  }

  async listen(): Promise<void> {
    if (this.state !== "idle") throw new Error(`SrtServer.listen() called while ${this.state}`);
    const { NativeServer } = loadSrtAddon();
    const native = new NativeServer(
      {
        host: this.o.host,
        port: this.o.port,
        latencyMs: this.o.latencyMs ?? 120,
        peerIdleTimeoutMs: PEER_IDLE_TIMEOUT_MS,
        authTimeoutMs: AUTH_TIMEOUT_MS,
      },
      (events) => this.onEvents(events),
      (streamId, remoteAddress) => this.onAuthorize(streamId, remoteAddress),
    );
    this.boundPort = native.listen(); // throws (e.g. address in use) before any state changes
    this.native = native;
    this.stopped = new Promise((resolve) => (this.resolveStopped = resolve));
    this.state = "listening";
    this.log.info({ host: this.o.host, port: this.boundPort }, "srt ingest listening");
  }

  get port(): number {
    return this.boundPort;
  }

  get connectionCount(): number {
    return this.conns.size;
  }

  /** Closes every connection ("server-close") and the port; resolves once all is released. */
  close(): Promise<void> {
    if (this.state === "listening") {
      this.state = "closing";
      this.native?.close();
    }
    return this.stopped;
  }

  private onAuthorize(streamId: string, remoteAddress: string): NativeDecision {
    const caller = { streamId: describeStreamId(streamId), remoteAddress };
    const overLimit = this.overLimit();
    if (overLimit) {
      this.logRejection(caller, overLimit);
      this.o.onRefused?.(overLimit);
      return { accept: false, code: SRT_REJX_OVERLOAD };
    }
    let decision: SrtAcceptDecision;
    try {
      decision = this.o.authorize({ streamId, remoteAddress });
    } catch (err) {
      this.log.error({ err, ...caller }, "srt authorize threw; rejecting caller");
      return { accept: false, code: SRT_REJX_ISE };
    }
    if (!decision.accept) {
      this.logRejection(caller, decision.reason);
      return { accept: false, code: REJECT_CODES[decision.reason] ?? REJECT_CODES.BadRequest };
    }
    const native = this.acceptDecision(decision.passphrase, caller);
    if (native.accept) this.pendingHandshakes.push({ caller: callerKey(streamId, remoteAddress), until: Date.now() + PENDING_HANDSHAKE_MS });
    return native;
  }

  /** Checked before authorize(): a caller over a limit costs no auth work and no libsrt socket. */
  private overLimit(): SrtRefusalReason | null {
    const now = Date.now();
    while (this.pendingHandshakes.length > 0 && this.pendingHandshakes[0].until <= now) this.pendingHandshakes.shift();
    const pending = this.pendingHandshakes.length;
    if (pending >= (this.o.maxPendingHandshakes ?? DEFAULT_SRT_LIMITS.maxPendingHandshakes)) return "max-handshakes";
    if (this.conns.size + pending >= (this.o.maxConnections ?? DEFAULT_SRT_LIMITS.maxConnections)) return "max-connections";
    return null;
  }

  private handshakeArrived(streamId: string, remoteAddress: string): void {
    const i = this.pendingHandshakes.findIndex((p) => p.caller === callerKey(streamId, remoteAddress));
    if (i >= 0) this.pendingHandshakes.splice(i, 1);
  }

  // Some callers (GStreamer's srtsink) retry a rejected handshake ~100 times a second;
  // log each distinct rejection once per window instead of flooding the log.
  private logRejection(caller: { streamId: string; remoteAddress: string }, reason: string): void {
    const key = `${caller.remoteAddress} ${caller.streamId} ${reason}`;
    const now = Date.now();
    const last = this.recentRejections.get(key);
    if (last !== undefined && now - last < REJECT_LOG_WINDOW_MS) return;
    if (this.recentRejections.size >= 1000) this.recentRejections.clear();
    this.recentRejections.set(key, now);
    this.log.info({ ...caller, reason }, "srt caller rejected");
  }

  private acceptDecision(passphrase: string | undefined, caller: object): NativeDecision {
    if (passphrase === undefined) return { accept: true };
    const bytes = Buffer.byteLength(passphrase);
    if (bytes < PASSPHRASE_BYTES.min || bytes > PASSPHRASE_BYTES.max) {
      this.log.error(caller, "srt passphrase must be 10..79 bytes; rejecting caller");
      return { accept: false, code: SRT_REJX_ISE };
    }
    return { accept: true, passphrase };
  }

  private onEvents(events: NativeEvent[]): void {
    for (const ev of events) {
      try {
        this.dispatch(ev);
      } catch (err) {
        // A throwing consumer must not lose the rest of the batch or kill ingest.
        this.log.error({ err, event: ev.type, id: ev.id }, "srt event handler threw");
      }
    }
  }

  private dispatch(ev: NativeEvent): void {
    switch (ev.type) {
      case "data":
        return this.conns.get(ev.id)?.deliver(ev.data);
      case "accept":
        return this.onAccept(ev.id, ev.streamId, ev.remoteAddress);
      case "close":
        return this.onClose(ev.id, ev.message);
      case "stats":
        return this.conns.get(ev.id)?.updateStats(ev);
      case "warn":
        return this.log.warn(ev.message);
      case "log":
        return this.onLibsrtLog(ev.id, ev.message);
      case "stopped":
        return this.onStopped();
    }
  }

  private onAccept(id: number, streamId: string, remoteAddress: string): void {
    this.handshakeArrived(streamId, remoteAddress);
    const conn = new Connection(id, streamId, remoteAddress, (cid) => this.native?.closeConnection(cid), this.native);
    this.conns.set(id, conn);
    this.log.info({ id, streamId: describeStreamId(streamId), remoteAddress }, "srt caller connected");
    try {
      this.o.onConnection(conn);
    } catch (err) {
      this.log.error({ err, id }, "srt onConnection threw; closing connection");
      conn.close();
    }
  }

  private onClose(id: number, reason: SrtCloseReason): void {
    const conn = this.conns.get(id);
    if (!conn) return;
    this.conns.delete(id);
    this.log.info({ id, reason, bytesReceived: conn.stats().bytesReceived }, "srt caller closed");
    conn.finish(reason);
  }

  private onLibsrtLog(level: number, message: string): void {
    // libsrt warnings repeat what we already log (e.g. our own rejections); its errors
    // explain handshake failures we never see otherwise (wrong passphrase).
    if (level <= LOG_ERR) this.log.warn({ libsrt: true }, message);
    else this.log.debug({ libsrt: true }, message);
  }

  private onStopped(): void {
    if (this.state !== "closing") this.log.error("srt ingest stopped unexpectedly");
    for (const id of [...this.conns.keys()]) this.onClose(id, "server-close");
    this.state = "closed";
    this.native = undefined;
    this.log.info({ port: this.boundPort }, "srt ingest closed");
    this.resolveStopped();
  }
}
