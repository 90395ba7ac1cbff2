import crypto from "node:crypto";
import { EventEmitter } from "node:events";
import type { Logger } from "pino";
import type { StreamHub } from "../hub/stream-hub";
import { streamKeyString, type LiveStream, type StreamKey } from "../hub/live-stream";
import type { ClusterStore, StreamInfo, StreamLease } from "../store/cluster";

/** A lease not renewed for this long is expired: other nodes may claim its stream. */
export const LEASE_MS = 10_000;

interface Session {
  id: string;
  stream: LiveStream;
  /** The store granted the lease: this node runs the stream's relays. */
  confirmed: boolean;
  /** The claim in flight; a release waits for it, so a late claim cannot outlive its session. */
  claiming?: Promise<void>;
}

/**
 * Cluster-wide "who publishes this stream". The publish gate decides synchronously (SRT answers
 * inside libsrt's listen callback), so it cannot wait for the store: it refuses from a cache of
 * the other nodes' leases, and a stream it admits goes live locally at once and is claimed in the
 * store right after. Only a confirmed claim runs relays; a lost claim (another node got there
 * first, or took the stream over) ends the local session. So a slow or unreachable store never
 * delays another tenant's publish, and two nodes never both keep a stream.
 */
export class StreamLeases extends EventEmitter<{ change: [] }> {
  private readonly sessions = new Map<string, Session>();
  /** Other nodes' live streams as last listed: stream key → node id. */
  private remote = new Map<string, string>();
  /** Releases not yet written: shutdown waits for them, so a stopped node leaves no lease behind. */
  private readonly releasing = new Set<Promise<void>>();

  constructor(
    private readonly deps: {
      store: ClusterStore;
      nodeId: string;
      hub: StreamHub;
      logger: Logger;
      /** Whether a publish of this domain may take a live stream over (the gate's rule). */
      mayTakeOver: (domain: string) => boolean;
      /** A local stream as the other nodes list it (media facts, readers). */
      describe: (stream: LiveStream) => StreamInfo;
    },
  ) {
    super();
  }

  start(): void {
    this.deps.hub.on("stream-start", (stream) => this.open(stream));
    this.deps.hub.on("stream-end", (stream) => this.close(stream));
  }

  /** The node holding a live stream, when it is another node (from the last listing). */
  heldElsewhere(key: StreamKey): string | null {
    const id = streamKeyString(key);
    return this.sessions.has(id) ? null : (this.remote.get(id) ?? null);
  }

  /** This node holds the stream's lease, for this very publication. */
  holds(stream: LiveStream): boolean {
    const s = this.sessions.get(streamKeyString(stream.key));
    return s !== undefined && s.stream === stream && s.confirmed;
  }

  /** This node holds the stream's lease (whichever publication). */
  holdsKey(key: StreamKey): boolean {
    return this.sessions.get(streamKeyString(key))?.confirmed === true;
  }

  /** Confirmed sessions, with what the other nodes list of their streams: what the heartbeat renews. */
  held(): { sessionId: string; stream: LiveStream; info: StreamInfo }[] {
    return [...this.sessions.values()].filter((s) => s.confirmed).map((s) => ({ sessionId: s.id, stream: s.stream, info: this.deps.describe(s.stream) }));
  }

  /** The other nodes' streams, from the store. */
  setRemote(leases: StreamLease[]): void {
    this.remote = new Map(leases.filter((l) => l.nodeId !== this.deps.nodeId).map((l) => [streamKeyString(l), l.nodeId]));
  }

  /** Sessions whose lease another node now holds: end them (their publisher reconnects where the stream is). */
  lost(sessionIds: string[], why: string): void {
    for (const s of [...this.sessions.values()]) if (sessionIds.includes(s.id)) this.end(s, why);
  }

  /** The store was out for longer than a lease: another node may hold our streams now. */
  abandonAll(why: string): void {
    for (const s of [...this.sessions.values()]) this.end(s, why);
  }

  /** Claims that could not reach the store are tried again (each heartbeat). */
  retryUnconfirmed(): void {
    for (const s of this.sessions.values()) if (!s.confirmed && !s.claiming) this.claim(s);
  }

  private open(stream: LiveStream): void {
    const session: Session = { id: crypto.randomUUID(), stream, confirmed: false };
    this.sessions.set(streamKeyString(stream.key), session);
    this.claim(session);
  }

  private claim(session: Session): void {
    const { stream } = session;
    const log = this.log(stream);
    session.claiming = this.deps.store
      .claimStream({ key: stream.key, nodeId: this.deps.nodeId, sessionId: session.id, info: this.deps.describe(stream), leaseMs: LEASE_MS, takeover: this.deps.mayTakeOver(stream.key.domain) })
      .then(
        (result) => {
          if (!this.isCurrent(session)) return;
          if (!result.ok) return this.end(session, `stream is live on node ${result.holder}`);
          session.confirmed = true;
          this.remote.delete(streamKeyString(stream.key));
          log.info("stream lease claimed");
          this.emit("change"); // which streams this node runs relays for changed
        },
        (err: unknown) => log.warn({ err }, "claiming the stream lease failed; retrying at the next heartbeat"),
      )
      .finally(() => (session.claiming = undefined));
  }

  private close(stream: LiveStream): void {
    const id = streamKeyString(stream.key);
    const session = this.sessions.get(id);
    if (session?.stream !== stream) return;
    this.sessions.delete(id);
    const release = Promise.resolve(session.claiming)
      .then(() => this.deps.store.releaseStream(session.id))
      .catch((err: unknown) => this.log(stream).warn({ err }, "releasing the stream lease failed; it expires on its own"))
      .finally(() => this.releasing.delete(release));
    this.releasing.add(release);
  }

  /** Resolves when every release so far is written (shutdown, before the store closes). */
  async settled(): Promise<void> {
    await Promise.all([...this.releasing]);
  }

  private end(session: Session, why: string): void {
    this.log(session.stream).warn({ reason: why }, "publish ended: this node does not hold the stream");
    this.sessions.delete(streamKeyString(session.stream.key));
    void this.deps.store.releaseStream(session.id).catch(() => {}); // only ours: a lease another node took has another session id
    session.stream.hangUp();
    this.deps.hub.unpublish(session.stream);
    this.emit("change"); // which streams this node runs relays for changed
  }

  private isCurrent(session: Session): boolean {
    return this.sessions.get(streamKeyString(session.stream.key)) === session;
  }

  private log(stream: LiveStream) {
    return this.deps.logger.child({ domain: stream.key.domain, appName: stream.key.appName, streamName: stream.key.streamName });
  }
}
