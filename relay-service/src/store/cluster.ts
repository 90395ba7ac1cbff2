import type { LiveStream as LiveStreamView, RelayStatus } from "@liverelay/api";

/** A stream's identity, as the hub keys it. */
export interface LeaseKey {
  domain: string;
  appName: string;
  streamName: string;
}

/** One node of a cluster, as it registers itself: where encoders and relays can reach its ingest. */
export interface NodeRecord {
  id: string;
  /** Host names and addresses destinations may use to reach this node's ingest (loop detection). */
  publicHosts: string[];
  rtmpPort: number;
  srtPort: number;
  /** Where players reach its HTTP reads (`http://{first public host}:{port}`); '' when it advertises none. */
  httpUrl: string;
}

/** What a node tells the others about a stream it holds, refreshed with the lease. */
export type StreamInfo = Omit<LiveStreamView, "nodeId">;

/** A node's claim on a live stream: held while renewed, lost when it expires or another node takes it over. */
export interface StreamLease extends LeaseKey {
  nodeId: string;
  /** One per publishing session: a later session of the same node is another lease. */
  sessionId: string;
  info: StreamInfo;
}

export type ClaimResult = { ok: true } | { ok: false; holder: string };

/** What a node writes every tick, in one transaction. */
export interface Heartbeat {
  node: NodeRecord;
  leaseMs: number;
  /** The sessions this node holds and their current media facts. */
  sessions: { sessionId: string; info: StreamInfo }[];
  /** Status of the relays this node runs, by the session whose stream they read. */
  relays: { sessionId: string; key: LeaseKey; status: RelayStatus }[];
}

/**
 * The shared state of a cluster: its nodes, who holds which live stream (leases the holder
 * renews) and the status of the relays each holder runs. Lease times are the store's clock, so
 * nodes whose clocks disagree still agree on expiry.
 */
export interface ClusterStore {
  /**
   * Claims a stream for one publishing session: refused while another node's unexpired lease
   * holds it, unless `takeover` (the other node sees its lease gone at its next heartbeat).
   * Atomic: of two nodes claiming at once, one wins.
   */
  claimStream(claim: { key: LeaseKey; nodeId: string; sessionId: string; info: StreamInfo; leaseMs: number; takeover: boolean }): Promise<ClaimResult>;
  /** Gives a session's stream up (its publisher left) with its relays' status. */
  releaseStream(sessionId: string): Promise<void>;
  /**
   * Registers the node, renews its sessions' leases and replaces its relays' status; returns the
   * sessions whose lease is no longer this node's (taken over, or expired and claimed elsewhere).
   */
  heartbeat(beat: Heartbeat): Promise<{ lost: string[] }>;
  /** Streams whose lease has not expired, in one domain or all. */
  listStreams(domain?: string): Promise<StreamLease[]>;
  /** Nodes heard from within `aliveMs`. */
  listNodes(aliveMs: number): Promise<NodeRecord[]>;
  /** Relay status as published by the nodes holding the streams (unexpired leases only), by template id. */
  listRelayStatus(domain: string): Promise<Map<string, { nodeId: string; status: RelayStatus }>>;
}
