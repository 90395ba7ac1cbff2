import type { LiveStream as LiveStreamView, RelayStatus, RelayTemplate } from "@liverelay/api";
import type { StreamHub } from "../hub/stream-hub";
import { streamKeyString, type LiveStream } from "../hub/live-stream";
import type { ClusterStore, StreamInfo } from "../store/cluster";

/**
 * What the API answers on any node: this node's streams and relays as they are now, the other
 * nodes' as they last published them (at most a heartbeat old).
 */
export class ClusterView {
  constructor(
    private readonly deps: {
      store: ClusterStore;
      hub: StreamHub;
      nodeId: string;
      /** A local stream as the API lists it (media facts, readers). */
      describe: (stream: LiveStream) => StreamInfo;
      /** This node holds the stream (its relays run here). */
      holdsLocally: (key: { domain: string; appName: string; streamName: string }) => boolean;
    },
  ) {}

  /** Every live stream of the domain with the node holding it; a local one described live. */
  async streams(domain: string): Promise<LiveStreamView[]> {
    const local = new Map(this.deps.hub.list(domain).map((s) => [streamKeyString(s.key), { ...this.deps.describe(s), nodeId: this.deps.nodeId }]));
    const items: LiveStreamView[] = [...local.values()];
    for (const lease of await this.deps.store.listStreams(domain)) {
      if (lease.nodeId !== this.deps.nodeId && !local.has(streamKeyString(lease))) items.push({ ...lease.info, nodeId: lease.nodeId });
    }
    return items;
  }

  /** The domain of every live stream, on any node (a local one counted once). */
  async liveStreamDomains(): Promise<string[]> {
    const local = this.deps.hub.list();
    const here = new Set(local.map((s) => streamKeyString(s.key)));
    const remote = (await this.deps.store.listStreams()).filter((l) => l.nodeId !== this.deps.nodeId && !here.has(streamKeyString(l)));
    return [...local.map((s) => s.key.domain), ...remote.map((l) => l.domain)];
  }

  /**
   * Relay status: where another node holds the relay's stream, the status it published wins over
   * this node's (which can only say `waiting`); states every node computes alike (inactive,
   * RelayLoop) are the same either way.
   */
  async relays(domain: string, local: { template: RelayTemplate; status: RelayStatus }[]): Promise<RelayStatus[]> {
    const published = await this.deps.store.listRelayStatus(domain);
    return local.map(({ template, status }) => {
      const remote = published.get(status.templateId);
      if (!remote || remote.nodeId === this.deps.nodeId || this.deps.holdsLocally(template)) return status;
      return remote.status;
    });
  }
}
