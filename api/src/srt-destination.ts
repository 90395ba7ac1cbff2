/**
 * The options of an `srt://host:port?…` destination, as LiveRelay's SRT caller honours them.
 *
 * - `streamid`: sent in the handshake (≤ 512 characters). It may be written unencoded
 *   (`streamid=#!::r=live/s,m=publish`), as ffmpeg and srt-live-transmit users do: the query is
 *   read as text up to the next `&`, not with a URL parser (which would take `#…` for a fragment).
 * - `passphrase` (10–79 characters) turns on AES encryption; `pbkeylen` 16, 24 or 32 picks
 *   AES-128/192/256 (0 or absent: libsrt's default, 16).
 * - `latency`: milliseconds, as srt-live-transmit, OBS and most encoders write it. ffmpeg's SRT
 *   URLs use microseconds; a value of 100 000 or more can only mean that (100 s of latency is not
 *   a thing), so it is read as microseconds: `latency=200000` is 200 ms. Values in between
 *   (10 001–99 999) are refused as ambiguous.
 * - `mode`: only `caller` (LiveRelay connects out to the destination's listener).
 * - `transtype=live` and `pkt_size`/`payload_size=1316` are accepted because they restate what
 *   the caller does anyway; every other option is refused rather than silently ignored.
 *
 * Values are percent-decoded. Problems never quote a value (stream ids and passphrases are secrets).
 */
export interface SrtDestination {
  host: string;
  port: number;
  streamId?: string;
  passphrase?: string;
  /** 16, 24 or 32 when given. */
  pbkeylen?: number;
  /** Absent: the caller's default. */
  latencyMs?: number;
}

export type SrtDestinationResult = { ok: true; value: SrtDestination } | { ok: false; problem: string };

export const SRT_MAX_LATENCY_MS = 10_000;
const MICROSECONDS_FROM = 100_000;
const SUPPORTED = "streamid, passphrase, pbkeylen, latency, mode=caller";

type Options = Omit<SrtDestination, "host" | "port">;
type OptionReader = (value: string, into: Options) => string | null;

const OPTIONS: Record<string, OptionReader> = {
  streamid: (v, into) => {
    if (v.length > 512) return "srt streamid must be at most 512 characters";
    into.streamId = v;
    return null;
  },
  passphrase: (v, into) => {
    if (v.length < 10 || v.length > 79) return "srt passphrase must be 10 to 79 characters";
    into.passphrase = v;
    return null;
  },
  pbkeylen: (v, into) => {
    if (!["0", "16", "24", "32"].includes(v)) return "srt pbkeylen must be 16, 24 or 32 (AES-128/192/256)";
    if (v !== "0") into.pbkeylen = Number(v);
    return null;
  },
  latency: (v, into) => {
    const ms = latencyMs(v);
    if (typeof ms === "string") return ms;
    into.latencyMs = ms;
    return null;
  },
  mode: (v) =>
    ["caller", "client"].includes(v.toLowerCase())
      ? null
      : "srt mode must be caller: LiveRelay connects out to the destination's SRT listener (listener and rendezvous destinations are not supported)",
  transtype: (v) => (v.toLowerCase() === "live" ? null : "srt transtype must be live"),
  pkt_size: (v) => (v === "1316" ? null : "srt pkt_size must be 1316 (7 MPEG-TS packets)"),
  payload_size: (v) => (v === "1316" ? null : "srt payload_size must be 1316 (7 MPEG-TS packets)"),
};

function latencyMs(v: string): number | string {
  if (!/^\d{1,9}$/.test(v)) return "srt latency must be a whole number of milliseconds";
  const n = Number(v);
  if (n <= SRT_MAX_LATENCY_MS) return n;
  if (n < MICROSECONDS_FROM) {
    return `srt latency is in milliseconds (at most ${SRT_MAX_LATENCY_MS}); values from ${MICROSECONDS_FROM} are read as ffmpeg-style microseconds, values in between are ambiguous`;
  }
  const ms = Math.round(n / 1000);
  return ms <= SRT_MAX_LATENCY_MS ? ms : `srt latency must be at most ${SRT_MAX_LATENCY_MS} ms`;
}

export function parseSrtDestination(raw: string): SrtDestinationResult {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return { ok: false, problem: "destinationUrl must be a complete URL such as srt://host:port?streamid=..." };
  }
  if (url.protocol !== "srt:") return { ok: false, problem: "not an srt:// URL" };
  if (!url.hostname) return { ok: false, problem: "destinationUrl must name a host" };
  if (!url.port) return { ok: false, problem: "an srt destinationUrl needs a port (srt://host:port?streamid=...)" };
  const options: Options = {};
  const problem = readQuery(raw, options);
  if (problem) return { ok: false, problem };
  return { ok: true, value: { host: url.hostname.replace(/^\[|\]$/g, ""), port: Number(url.port), ...options } };
}

function readQuery(raw: string, into: Options): string | null {
  const q = raw.indexOf("?");
  if (q < 0) return null;
  const seen = new Set<string>();
  for (const pair of raw.slice(q + 1).split("&")) {
    if (pair === "") continue;
    const eq = pair.indexOf("=");
    // A bare word could be a key pasted without its name: never echo it.
    if (eq < 0) return "srt options must be written key=value";
    const key = pair.slice(0, eq).toLowerCase();
    const reader = OPTIONS[key];
    if (!reader) return `srt option ${JSON.stringify(key.slice(0, 40))} is not supported (supported: ${SUPPORTED})`;
    if (seen.has(key)) return `srt option ${key} is given twice`;
    seen.add(key);
    let value: string;
    try {
      value = decodeURIComponent(pair.slice(eq + 1));
    } catch {
      return `srt option ${key} has a malformed %-escape`;
    }
    const problem = reader(value, into);
    if (problem) return problem;
  }
  return null;
}
