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
}

export interface SrtAddon {
  srtVersion: string;
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
