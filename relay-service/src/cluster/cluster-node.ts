import type { Logger } from "pino";
import type { RelayStatus, RelayTemplate } from "@liverelay/api";
import { streamKeyString } from "../hub/live-stream";
import type { ClusterStore, Heartbeat, NodeRecord } from "../store/cluster";
import type { PeerIngest } from "../relay/relay-loops";
import { LEASE_MS, type StreamLeases } from "./stream-leases";

/** How often a node renews its leases, publishes its relays' status and re-reads the others'. */
export const HEARTBEAT_MS = 2_000;

/**
 * This node's membership: every HEARTBEAT_MS one write (register, renew leases, replace relay
 * status) and two reads (live streams, nodes). A store outage shorter than the lease costs
 * nothing: relays keep running on what they hold. Longer, and the node gives its streams up
 * (their publishers reconnect, through the load balancer, to a node that can reach the store).
 */
export class ClusterNode {
  private timer?: NodeJS.Timeout;
  private lastRenewedAt = Date.now();
  private beating = false;
  private peerKey = "[]"; // no peers, as SelfIngest starts

  constructor(
    private readonly deps: {
      store: ClusterStore;
      node: NodeRecord;
      leases: StreamLeases;
      /** Every relay's status with its template (the supervisor's view). */
      relays: () => { template: RelayTemplate; status: RelayStatus }[];
      /** The other live nodes' ingest (loop detection) and HTTP address (playback redirects), when it changed. */
      onPeers: (peers: (PeerIngest & { httpUrl: string })[]) => void;
      logger: Logger;
    },
  ) {}

  async start(): Promise<void> {
    await this.beat();
    this.timer = setInterval(() => void this.beat(), HEARTBEAT_MS);
  }

  stop(): void {
    clearInterval(this.timer);
  }

  private async beat(): Promise<void> {
    if (this.beating) return; // a store slower than the interval: skip, never pile up
    this.beating = true;
    try {
      await this.renew();
      await this.refresh();
    } finally {
      this.beating = false;
    }
  }

  private async renew(): Promise<void> {
    const held = this.deps.leases.held();
    const sessionOf = new Map(held.map((h) => [streamKeyString(h.stream.key), h.sessionId]));
    const relays: Heartbeat["relays"] = [];
    for (const { template, status } of this.deps.relays()) {
      const key = { domain: template.domain, appName: template.appName, streamName: template.streamName };
      const sessionId = sessionOf.get(streamKeyString(key));
      if (sessionId) relays.push({ sessionId, key, status });
    }
    try {
      const { lost } = await this.deps.store.heartbeat({
        node: this.deps.node,
        leaseMs: LEASE_MS,
        sessions: held.map((h) => ({ sessionId: h.sessionId, info: h.info })),
        relays,
      });
      this.lastRenewedAt = Date.now();
      this.deps.leases.lost(lost, "another node took the stream over");
      this.deps.leases.retryUnconfirmed();
    } catch (err) {
      const outFor = Date.now() - this.lastRenewedAt;
      this.deps.logger.warn({ err, outForMs: outFor }, "cluster heartbeat failed: the store is unreachable");
      if (outFor > LEASE_MS) this.deps.leases.abandonAll(`no lease renewal for ${Math.round(outFor / 1000)} s`);
    }
  }

  private async refresh(): Promise<void> {
    try {
      this.deps.leases.setRemote(await this.deps.store.listStreams());
      const peers = (await this.deps.store.listNodes(LEASE_MS)).filter((n) => n.id !== this.deps.node.id);
      const key = JSON.stringify(peers.map((p) => [p.id, p.publicHosts, p.rtmpPort, p.srtPort, p.httpUrl]));
      if (key !== this.peerKey) {
        this.peerKey = key;
        this.deps.onPeers(peers.map((p) => ({ id: p.id, hosts: p.publicHosts, rtmpPort: p.rtmpPort, srtPort: p.srtPort, httpUrl: p.httpUrl })));
      }
    } catch {
      /* the heartbeat logged the outage; the caches stay as they were */
    }
  }
}
