import path from "node:path";

/**
 * Typed view of the native addon built from relay-service/native/srt (see the design
 * notes at the top of native/srt/src/ingest.cc). Loaded lazily so that the rest of the
 * service, and parseStreamId, work on machines where the addon was not built.
 */

export interface NativeServerOptions {
  host: string;
  port: number;
  latencyMs: number;
  peerIdleTimeoutMs: number;
  /** How long the listen callback waits for onAuthorize before rejecting (SRT_REJX_OVERLOAD). */
  authTimeoutMs: number;
}

export type NativeDecision = { accept: true; passphrase?: string } | { accept: false; code: number };

export type NativeEvent =
  | { type: "accept"; id: number; streamId: string; remoteAddress: string }
  | { type: "data"; id: number; data: Buffer }
  | { type: "close"; id: number; message: "disconnect" | "timeout" | "server-close" }
  | { type: "stats"; id: number; packetsLost: number; rttMs: number; mbpsRecvRate: number }
  | { type: "warn"; id: number; message: string }
  /** libsrt's own log line; id is the syslog level (3 error, 4 warning). */
  | { type: "log"; id: number; message: string }
  | { type: "stopped"; id: number };

export interface NativeServer {
  /** Binds and starts the I/O thread; returns the bound UDP port. Throws on bind errors. */
  listen(): number;
  /** Asynchronous; a "stopped" event follows once every socket is closed. */
  close(): void;
  closeConnection(id: number): void;
  /** A reader's (m=request) outgoing MPEG-TS: bytes now queued, or -1 when refused (gone, or its queue is full). */
  send(id: number, data: Buffer): number;
  queued(id: number): number;
}

export interface NativeCallerOptions {
  /** A numeric IPv4/IPv6 address: names are resolved in JS, never on the addon's I/O thread. */
  address: string;
  port: number;
  streamId?: string;
  passphrase?: string;
  pbkeylen?: number;
  latencyMs?: number;
  connectTimeoutMs?: number;
  peerIdleTimeoutMs?: number;
  maxQueueBytes?: number;
}

export type NativeCallerEvent =
  | { type: "connected"; id: number }
  | {
      type: "stats";
      id: number;
      /** Cumulative bytes handed to libsrt. */
      bytesSubmitted: number;
      /** Bytes in libsrt's send buffer not yet acknowledged by the peer. */
      bytesUnacked: number;
      /** Bytes libsrt dropped as too late to send. */
      bytesDropped: number;
      queuedBytes: number;
      rttMs: number;
      mbpsSendRate: number;
    }
  | {
      type: "closed";
      id: number;
      reason: "rejected" | "broken" | "finished" | "closed" | "error";
      /** libsrt's SRT_REJ_* (or the listener's >= 1000 code) when reason is "rejected". */
      rejectReason: number;
      message: string;
      /** "broken": how long the peer had been silent (no acknowledgement). */
      msSinceHeard: number;
    };

export interface NativeCallerPool {
  connect(options: NativeCallerOptions): number;
  /** Bytes now queued, or -1 when refused (connection gone, finishing, or queue full). */
  send(id: number, data: Buffer): number;
  queued(id: number): number;
  /** Sends what is queued, waits (≤ 2 s) for the peer to acknowledge it, then closes. */
  finish(id: number): void;
  close(id: number): void;
}

export interface SrtAddon {
  srtVersion: string;
  NativeCallerPool: new (onEvents: (events: NativeCallerEvent[]) => void) => NativeCallerPool;
  NativeServer: new (
    options: NativeServerOptions,
    onEvents: (events: NativeEvent[]) => void,
    onAuthorize: (streamId: string, remoteAddress: string) => NativeDecision,
  ) => NativeServer;
}

// Same relative location from src/srt (tests) and dist/srt (built service).
const ADDON_PATH = path.resolve(__dirname, "..", "..", "native", "srt", "build", "Release", "liverelay_srt.node");

let addon: SrtAddon | undefined;

export function loadSrtAddon(): SrtAddon {
  if (addon) return addon;
  try {
    addon = require(ADDON_PATH) as SrtAddon;
  } catch (err) {
    throw new Error(
      `SRT native addon not available at ${ADDON_PATH}; build it with ` +
        "`npm rebuild @liverelay/service` (needs libsrt-openssl-dev, pkg-config, g++, make, python3)",
      { cause: err },
    );
  }
  return addon;
}
