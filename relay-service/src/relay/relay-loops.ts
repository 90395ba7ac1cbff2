import os from "node:os";
import net from "node:net";
import type { RelayTemplate } from "@liverelay/api";
import { streamKeyString, type StreamKey } from "../hub/live-stream";
import { resolveStreamKey } from "../ingest/stream-identity";
import { srtPublishTarget } from "../ingest/srt-ingest";

export interface SelfIngest {
  rtmpPort: number;
  /** Absent: SRT destinations are never this service (unit tests of RTMP-only setups). */
  srtPort?: number;
  host: string;
  defaultDomain: string;
}

/** Addresses that reach this machine: loopback, the bind address, every local interface, the hostname. */
function localHosts(bindHost: string): Set<string> {
  const hosts = new Set(["localhost", "127.0.0.1", "::1", "0.0.0.0", "::", os.hostname().toLowerCase(), bindHost.toLowerCase()]);
  for (const addrs of Object.values(os.networkInterfaces())) for (const a of addrs ?? []) hosts.add(a.address.toLowerCase());
  return hosts;
}

/**
 * A destination that is this service's own RTMP or SRT ingest makes the stream live in another
 * domain (cross-domain relay). Returns the stream it would publish, or null.
 */
export function selfIngestTarget(destinationUrl: string, self: SelfIngest, hosts = localHosts(self.host)): StreamKey | null {
  let url: URL;
  try {
    url = new URL(destinationUrl);
  } catch {
    return null;
  }
  const host = url.hostname.replace(/^\[|\]$/g, "").toLowerCase();
  const isLocal = hosts.has(host) || (net.isIPv4(host) && host.startsWith("127."));
  if (!isLocal) return null;
  if (url.protocol === "srt:") return Number(url.port) === self.srtPort ? srtSelfTarget(destinationUrl, self) : null;
  if (url.protocol !== "rtmp:" || Number(url.port || 1935) !== self.rtmpPort) return null;
  const [app, stream] = url.pathname.split("/").filter(Boolean);
  if (!app || !stream) return null;
  const resolved = resolveStreamKey({ app, streamName: stream, query: url.searchParams, host: url.hostname }, self.defaultDomain);
  return resolved.ok ? resolved.key : null;
}

/**
 * The stream an SRT destination on our own port publishes to. The streamid is read from the
 * raw query as ffmpeg reads it (up to the next `&`): an unencoded `#!::` would be a URL fragment.
 */
function srtSelfTarget(destinationUrl: string, self: SelfIngest): StreamKey | null {
  const query = destinationUrl.slice(destinationUrl.indexOf("?") + 1);
  const raw = /(?:^|&)streamid=([^&]*)/.exec(query)?.[1];
  if (raw === undefined) return null;
  let streamId: string;
  try {
    streamId = decodeURIComponent(raw);
  } catch {
    return null;
  }
  const parsed = srtPublishTarget(streamId);
  const resolved = parsed.ok ? resolveStreamKey(parsed.target, self.defaultDomain) : null;
  return resolved?.ok ? resolved.key : null;
}

/**
 * Templates whose relay would feed back into their own source (a → b → a): following
 * self-ingest edges from the destination reaches the source again.
 */
export function findRelayLoops(
  templates: RelayTemplate[],
  self: SelfIngest,
  targetOf: (t: RelayTemplate) => StreamKey | null = selfTargetParser(self),
): Set<string> {
  const edges = new Map<string, string[]>();
  const targets = new Map<string, string>();
  for (const t of templates) {
    const target = targetOf(t);
    if (!target) continue;
    const from = streamKeyString({ domain: t.domain, appName: t.appName, streamName: t.streamName });
    const to = streamKeyString(target);
    targets.set(t.id, to);
    edges.set(from, [...(edges.get(from) ?? []), to]);
  }
  const loops = new Set<string>();
  for (const t of templates) {
    const to = targets.get(t.id);
    if (to && reaches(edges, to, streamKeyString({ domain: t.domain, appName: t.appName, streamName: t.streamName }))) loops.add(t.id);
  }
  return loops;
}

/**
 * `selfIngestTarget` remembered per destination URL: the supervisor asks on every tick, and
 * parsing thousands of URLs (and listing interfaces) five times a second is wasted work.
 */
export function selfTargetParser(self: SelfIngest): (t: RelayTemplate) => StreamKey | null {
  const hosts = localHosts(self.host);
  const cache = new Map<string, StreamKey | null>();
  return (t) => {
    let target = cache.get(t.destinationUrl);
    if (target === undefined) {
      target = selfIngestTarget(t.destinationUrl, self, hosts);
      cache.set(t.destinationUrl, target);
    }
    return target;
  };
}

function reaches(edges: Map<string, string[]>, from: string, goal: string): boolean {
  const seen = new Set<string>();
  const stack = [from];
  while (stack.length > 0) {
    const node = stack.pop()!;
    if (node === goal) return true;
    if (seen.has(node)) continue;
    seen.add(node);
    stack.push(...(edges.get(node) ?? []));
  }
  return false;
}
