import type { RelayTemplate } from "@liverelay/api";
import { streamKeyString, type StreamKey } from "../hub/live-stream";
import { resolveStreamKey } from "../ingest/stream-identity";
import { srtPublishTarget } from "../ingest/srt-ingest";
import { SelfHosts, normaliseHost } from "./self-hosts";

/** Another node of the cluster: a destination reaching its ingest publishes into the same streams. */
export interface PeerIngest {
  id: string;
  hosts: readonly string[];
  rtmpPort: number;
  srtPort: number;
}

export interface SelfIngest {
  rtmpPort: number;
  /** Absent: SRT destinations are never this service (unit tests of RTMP-only setups). */
  srtPort?: number;
  host: string;
  defaultDomain: string;
  /** Names this service is reached by besides its addresses (`--public-host`). */
  publicHosts?: readonly string[];
  /** The other nodes of the cluster (replaced as a whole when they change): their ingest is ours too. */
  peers?: readonly PeerIngest[];
}

/**
 * A destination that is this service's own RTMP or SRT ingest makes the stream live in another
 * domain (cross-domain relay). Returns the stream it would publish, or null.
 */
export function selfIngestTarget(destinationUrl: string, self: SelfIngest, hosts = new SelfHosts(self.host, self.publicHosts)): StreamKey | null {
  let url: URL;
  try {
    url = new URL(destinationUrl);
  } catch {
    return null;
  }
  const ingests = ingestsAt(url.hostname, self, hosts);
  if (ingests.length === 0) return null;
  if (url.protocol === "srt:") return ingests.some((i) => Number(url.port) === i.srtPort) ? srtSelfTarget(destinationUrl, self) : null;
  if (url.protocol !== "rtmp:" || !ingests.some((i) => Number(url.port || 1935) === i.rtmpPort)) return null;
  const [app, stream] = url.pathname.split("/").filter(Boolean);
  if (!app || !stream) return null;
  const resolved = resolveStreamKey({ app, streamName: stream, query: url.searchParams, host: url.hostname }, self.defaultDomain);
  return resolved.ok ? resolved.key : null;
}

/** The ingest ports (this node's, any peer's) a destination host reaches. */
function ingestsAt(rawHost: string, self: SelfIngest, hosts: SelfHosts): { rtmpPort: number; srtPort?: number }[] {
  const found: { rtmpPort: number; srtPort?: number }[] = hosts.includes(rawHost) ? [self] : [];
  if (!self.peers?.length) return found;
  const host = normaliseHost(rawHost);
  const local = found.length > 0; // a peer on this machine is reached by every local name too
  for (const peer of self.peers) if (peer.hosts.some((h) => normaliseHost(h) === host) || (local && peer.hosts.some((h) => hosts.includes(h)))) found.push(peer);
  return found;
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

const sourceOf = (t: Pick<RelayTemplate, "domain" | "appName" | "streamName">) => streamKeyString({ domain: t.domain, appName: t.appName, streamName: t.streamName });
const olderFirst = (a: RelayTemplate, b: RelayTemplate) => a.createdAt.localeCompare(b.createdAt) || a.id.localeCompare(b.id);

/**
 * Templates that would close a loop (a → b → a) through self-ingest edges, given that all of
 * them run. First come, first served: templates are taken oldest first and one whose edge would
 * close a cycle among those already taken is the loop, so a healthy template never stops for a
 * newer one that loops back into it.
 */
export function findRelayLoops(
  templates: RelayTemplate[],
  self: SelfIngest,
  targetOf: (t: RelayTemplate) => StreamKey | null = selfTargetParser(self),
): Set<string> {
  const edges = new Map<string, string[]>();
  const loops = new Set<string>();
  for (const t of [...templates].sort(olderFirst)) {
    const target = targetOf(t);
    if (!target) continue;
    const from = sourceOf(t);
    const to = streamKeyString(target);
    if (reaches(edges, to, from)) {
      loops.add(t.id);
      continue;
    }
    edges.set(from, [...(edges.get(from) ?? []), to]);
  }
  return loops;
}

/** When a template can run: [from, to) in ms; `always` is unbounded. */
type Span = [number, number];
const spanOf = (t: Pick<RelayTemplate, "mode" | "startTime" | "endTime">): Span =>
  t.mode === "always" ? [-Infinity, Infinity] : [Date.parse(t.startTime!), Date.parse(t.endTime!)];
const overlap = (a: Span, b: Span): Span | null => {
  const span: Span = [Math.max(a[0], b[0]), Math.min(a[1], b[1])];
  return span[0] < span[1] ? span : null;
};

export type LoopCandidate = Pick<RelayTemplate, "domain" | "appName" | "streamName" | "destinationUrl" | "mode" | "startTime" | "endTime"> & { id?: string };

/**
 * The templates a new or changed template would close a loop with: a path of self-ingest edges
 * from its destination back to its source whose templates can all run at one moment (their
 * windows overlap with each other and with the candidate's; finished windows never run again).
 * Returns the looping templates in order, or null.
 */
export function loopClosedBy(candidate: LoopCandidate, templates: RelayTemplate[], self: SelfIngest, now: Date): RelayTemplate[] | null {
  const hosts = new SelfHosts(self.host, self.publicHosts);
  const start = selfIngestTarget(candidate.destinationUrl, self, hosts);
  if (!start) return null;
  const bySource = new Map<string, { template: RelayTemplate; to: string }[]>();
  for (const t of templates) {
    if (t.id === candidate.id || spanOf(t)[1] <= now.getTime()) continue;
    const target = selfIngestTarget(t.destinationUrl, self, hosts);
    if (target) bySource.set(sourceOf(t), [...(bySource.get(sourceOf(t)) ?? []), { template: t, to: streamKeyString(target) }]);
  }
  const goal = sourceOf(candidate);
  const search = (node: string, span: Span, path: RelayTemplate[]): RelayTemplate[] | null => {
    if (node === goal) return path;
    for (const edge of bySource.get(node) ?? []) {
      const within = overlap(span, spanOf(edge.template));
      if (!within || path.includes(edge.template)) continue;
      const found = search(edge.to, within, [...path, edge.template]);
      if (found) return found;
    }
    return null;
  };
  return search(streamKeyString(start), spanOf(candidate), []);
}

/**
 * `selfIngestTarget` remembered per destination URL: the supervisor asks on every tick, and
 * parsing thousands of URLs (and listing interfaces) five times a second is wasted work.
 */
export function selfTargetParser(self: SelfIngest): (t: RelayTemplate) => StreamKey | null {
  const hosts = new SelfHosts(self.host, self.publicHosts);
  const cache = new Map<string, StreamKey | null>();
  let peers = self.peers;
  return (t) => {
    if (self.peers !== peers) {
      peers = self.peers;
      cache.clear();
    }
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
